import { parseConfig } from "@mcp-gateway/core";
import { DEFAULT_RENDER_OPTIONS, renderEnvoyConfig } from "@mcp-gateway/router";
import { withDeadline } from "../support/bounded-wait";
import {
  FIRST_EVENT,
  LAST_EVENT,
  expectPassedToBroker,
  firstStreamedEvent,
  startBrokerStandIn,
  type BrokerStandIn,
} from "../support/broker-stand-in";
import { startEnvoy, type EnvoyProcess } from "../support/envoy-process";
import { rawRequest } from "../support/raw-http";
import { freePort } from "../support/redis-server";

jest.setTimeout(60_000);

// The rendered /v1 routes under the real Envoy. The broker's LLM handler is not in this test: a stand-in HTTP server
// listens on the broker's address and records what arrives, and no router runs at all, so a request that ext_proc
// touched would fail (failure_mode_allow: false) instead of reaching the stand-in.

let standIn: BrokerStandIn;
let envoy: EnvoyProcess;

beforeAll(async () => {
  standIn = await startBrokerStandIn();
  const config = parseConfig(
    'version: 1\nauth: none\nservers:\n  - { name: a, url: "http://127.0.0.1:1/mcp" }\nlimits: { maxBodyBytes: 65536 }\n',
    {},
  );
  envoy = await startEnvoy(
    renderEnvoyConfig(config, {
      ...DEFAULT_RENDER_OPTIONS,
      listener: { address: "127.0.0.1", port: 0 },
      admin: { address: "127.0.0.1", port: 0 },
      router: { address: "127.0.0.1", port: await freePort() },
      broker: { address: "127.0.0.1", port: standIn.port },
    }),
  );
});
afterAll(async () => {
  await envoy?.stop();
  await standIn?.close();
});

describe("the LLM endpoints through the real Envoy (rendered /v1 routes, broker stand-in)", () => {
  it.each(["/v1/chat/completions", "/v1/responses", "/v1/chat/completions?trace=1"])(
    "passes a POST to %s to the broker with its body byte for byte, past no ext_proc",
    async (path) => {
      // Not JSON-RPC, odd spacing and non-ASCII: ext_proc would refuse it, any re-encoding would change it.
      const body = `{ "model":"gpt-4o",\n  "messages":[{"role":"user","content":"héllo \\u2028 ${"x".repeat(4000)}"}] }`;
      // The gateway's own headers, which the router strips on other routes, Envoy removes here.
      const forged = { "x-mcp-identity": "forged", "x-mcp-client-address": "203.0.113.9", "x-destination-mcp": "a" };
      await expectPassedToBroker(envoy, standIn, { path, body, forged });
    },
  );

  it("streams a body past the listener's buffer limit (limits.maxBodyBytes) to the broker, which caps it itself", async () => {
    const body = `{"model":"gpt-4o","messages":[{"role":"user","content":"${"y".repeat(200_000)}"}]}`;
    const reply = await rawRequest(envoy.port, "/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      chunks: [body],
    });
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual({ bytes: body.length });
  });

  it("streams the broker's SSE answer through as it comes: the first event arrives before the last is sent", async () => {
    // The stand-in holds the last event until released, so this first event came through Envoy unbuffered.
    const events = await firstStreamedEvent(
      envoy.port,
      "/v1/chat/completions",
      '{"model":"gpt-4o","stream":true,"messages":[]}',
    );
    expect(events.first).toBe(FIRST_EVENT);
    standIn.release();
    expect(await withDeadline(events.rest, 10_000, "the end of the SSE stream")).toBe(FIRST_EVENT + LAST_EVENT);
  });

  it.each(["/v1/models", "/v1/../mcp", "/v1/chat/completions/", "/V1/responses"])(
    "keeps %s on the default route under ext_proc (no router here: Envoy's 503, the broker never sees it)",
    async (path) => {
      const before = standIn.arrivals.length;
      const reply = await rawRequest(envoy.port, path, { method: "POST", chunks: ["{}"] });
      expect(reply.status).toBe(503);
      expect(standIn.arrivals).toHaveLength(before);
    },
  );
});
