import { createGatewayContext, parseConfig, silentLogger, type GatewayContext } from "@mcp-gateway/core";
import {
  createRouter,
  DEFAULT_RENDER_OPTIONS,
  renderEnvoyConfig,
  RouterMetrics,
  type Router,
} from "@mcp-gateway/router";
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

jest.setTimeout(60_000);

// ext_proc on the whole listener, as Istio's EnvoyFilter attaches the router: the rendered config with the per-route
// "ext_proc off" of the console and LLM routes removed, so those requests reach the real router too. A stand-in
// broker records what arrives; the router must pass these paths through as the rendered routes do without ext_proc,
// and still parse /mcp.

const CONSOLE_HTML = '<!doctype html><script type="module" src="/ui/assets/app.js"></script>';
const CONSOLE_JS = 'console.log("console");';

/** The broker stand-in's fixed answers: the console's files and /mcp's JSON (LLM paths get its default answers). */
const FIXED = {
  "/ui/": { contentType: "text/html", body: CONSOLE_HTML },
  "/ui/assets/app.js": { contentType: "text/javascript", body: CONSOLE_JS },
  "/mcp": { contentType: "application/json", body: JSON.stringify({ jsonrpc: "2.0", id: 1, result: {} }) },
};

/** The rendered config with ext_proc on for every route (the listener-wide attachment); throws if nothing changed. */
function listenerWide(config: object): object {
  const copy = structuredClone(config) as {
    static_resources: { listeners: { filter_chains: { filters: { typed_config: unknown }[] }[] }[] };
  };
  const hcm = copy.static_resources.listeners[0]?.filter_chains[0]?.filters[0]?.typed_config as {
    route_config: { virtual_hosts: { routes: { name: string; typed_per_filter_config?: unknown }[] }[] };
  };
  const stripped: string[] = [];
  for (const route of hcm.route_config.virtual_hosts[0]?.routes ?? []) {
    if (route.typed_per_filter_config === undefined) continue;
    delete route.typed_per_filter_config;
    stripped.push(route.name);
  }
  expect(stripped.sort()).toEqual(["console", "console_files", "llm_chat_completions", "llm_responses"]);
  return copy;
}

let standIn: BrokerStandIn;
let context: GatewayContext;
let router: Router;
let envoy: EnvoyProcess;

beforeAll(async () => {
  standIn = await startBrokerStandIn(FIXED);
  const yaml = `version: 1
auth: none
servers:
  - { name: a, url: "http://127.0.0.1:1/mcp" }
sessions: { secret: "pass-through-secret-0123456789abcdef" }
limits: { maxBodyBytes: 65536 }
console: { enabled: true }
`;
  const config = parseConfig(yaml, {});
  context = await createGatewayContext(config, { logger: silentLogger });
  router = createRouter({ context, logger: silentLogger, metrics: new RouterMetrics({ defaultMetrics: false }) });
  const routerPort = await router.listen("127.0.0.1:0");
  envoy = await startEnvoy(
    listenerWide(
      renderEnvoyConfig(config, {
        ...DEFAULT_RENDER_OPTIONS,
        listener: { address: "127.0.0.1", port: 0 },
        admin: { address: "127.0.0.1", port: 0 },
        router: { address: "127.0.0.1", port: routerPort },
        broker: { address: "127.0.0.1", port: standIn.port },
      }),
    ),
  );
});
afterAll(async () => {
  await envoy?.stop();
  await router?.shutdown(1_000);
  await context?.close();
  await standIn?.close();
});

const FORGED = {
  "x-mcp-identity": "forged",
  "x-mcp-client-address": "203.0.113.9",
  "x-mcp-gateway-hop": "1",
  "x-destination-mcp": "a",
};

describe("console and LLM paths with ext_proc on the whole listener (real Envoy and router, broker stand-in)", () => {
  it.each(["/v1/chat/completions", "/v1/responses", "/v1/chat/completions?trace=1"])(
    "passes a POST to %s to the broker byte for byte, forged gateway headers removed, the client's address set",
    async (path) => {
      // Not JSON-RPC: the router would refuse it if it parsed it; any re-encoding would change it.
      const body = `{ "model":"gpt-4o",\n  "messages":[{"role":"user","content":"héllo ${"x".repeat(4000)}"}] }`;
      await expectPassedToBroker(envoy, standIn, { path, body, forged: FORGED });
    },
  );

  it("streams a body sent after the router's answer past limits.maxBodyBytes: Envoy buffers none of it", async () => {
    const body = `{"model":"gpt-4o","messages":[{"role":"user","content":"${"y".repeat(200_000)}"}]}`;
    const reply = await rawRequest(envoy.port, "/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      // The router answers the headers within the gap (no I/O on this path); the rest is then Envoy's to stream.
      chunks: [body.slice(0, 100), body.slice(100)],
      gapMs: 500,
    });
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual({ bytes: body.length });
  });

  it("answers 413 at once for a body over the buffer limit that arrives before the router's answer", async () => {
    // Envoy holds a body (BUFFERED, the filter's mode) while ext_proc reads the headers: past the listener's buffer
    // limit it answers 413 itself. The router keeps the response phase, so that reply is not left waiting.
    const body = `{"model":"gpt-4o","messages":[{"role":"user","content":"${"y".repeat(200_000)}"}]}`;
    const before = standIn.arrivals.length;
    const since = Date.now();
    const reply = await rawRequest(envoy.port, "/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      chunks: [body],
    });
    expect(reply.status).toBe(413);
    expect(await envoy.routeSince(since)).toMatchObject({ details: "request_payload_too_large" });
    expect(Date.now() - since).toBeLessThan(4_000);
    expect(standIn.arrivals).toHaveLength(before);
  });

  it("streams the broker's SSE answer through as it comes: the first event arrives before the last is sent", async () => {
    const events = await firstStreamedEvent(
      envoy.port,
      "/v1/responses",
      '{"model":"gpt-4o","stream":true,"input":"hi"}',
    );
    expect(events.first).toBe(FIRST_EVENT);
    standIn.release();
    expect(await withDeadline(events.rest, 10_000, "the end of the SSE stream")).toBe(FIRST_EVENT + LAST_EVENT);
  });

  it("loads the console's page and assets through Envoy, forged headers removed", async () => {
    const page = await rawRequest(envoy.port, "/ui/", { headers: FORGED });
    expect(page).toMatchObject({ status: 200, body: CONSOLE_HTML });
    expect(standIn.arrivals.at(-1)?.headers["x-mcp-identity"]).toBeUndefined();
    expect(standIn.arrivals.at(-1)?.headers["x-mcp-client-address"]).toBe("127.0.0.1");
    expect(await rawRequest(envoy.port, "/ui/assets/app.js")).toMatchObject({ status: 200, body: CONSOLE_JS });
  });

  it.each(["/v1/models", "/v1/../mcp", "/UI", "/uix", "/v1/chat/completions/", "/V1/responses"])(
    "still answers %s with the router's 404; the broker never sees it",
    async (path) => {
      const before = standIn.arrivals.length;
      const reply = await rawRequest(envoy.port, path, { method: "POST", chunks: ["{}"] });
      expect(reply.status).toBe(404);
      expect(reply.body).toContain("no MCP endpoint");
      expect(standIn.arrivals).toHaveLength(before);
    },
  );

  it("refuses an escaped slash before any filter (Envoy's 400): /v1/chat%2Fcompletions reaches no one", async () => {
    const before = standIn.arrivals.length;
    const reply = await rawRequest(envoy.port, "/v1/chat%2Fcompletions", { method: "POST", chunks: ["{}"] });
    expect(reply.status).toBe(400);
    expect(standIn.arrivals).toHaveLength(before);
  });

  it("still parses a body to /mcp: a malformed one is refused by the router, a valid one reaches the broker with the router's headers", async () => {
    const before = standIn.arrivals.length;
    const headers = { "content-type": "application/json", accept: "application/json, text/event-stream", ...FORGED };
    const bad = await rawRequest(envoy.port, "/mcp", { method: "POST", headers, chunks: ['{"jsonrpc":'] });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ error: { code: -32700 } });
    expect(standIn.arrivals).toHaveLength(before);
    const ping = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" });
    const good = await rawRequest(envoy.port, "/mcp", { method: "POST", headers, chunks: [ping] });
    expect(good.status).toBe(200);
    const arrival = standIn.arrivals.at(-1);
    expect(arrival?.path).toBe("/mcp");
    expect(arrival?.headers["x-mcp-identity"]).toBeUndefined();
    expect(arrival?.headers["x-mcp-client-address"]).toBe("127.0.0.1");
    expect(arrival?.headers["x-destination-mcp"]).toBeUndefined();
  });
});
