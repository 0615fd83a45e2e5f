import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { startExampleServer } from "@mcp-gateway/example-kit";
import { openEventStream } from "../../../broker/src/testing/broker-fixture";
import { rawRequest } from "../../../broker/src/testing/raw-request";
import { pollUntil } from "../support/bounded-wait";
import { startHeaderSpy, UPSTREAM_EXTRA_HEADERS, type HeaderSpy } from "../support/header-spy";
import { startGatewayStack, type GatewayStack } from "./gateway-stack";
import { connectClient, rawPost, type ConnectedClient } from "./mcp-client";
import { deployments } from "./stack-modes";

jest.setTimeout(90_000);

// Issue 9, holes 8 and 9, in every deployment: exact paths and methods at the public endpoint, upstream response
// headers filtered, client-asserted addresses and event ids kept from upstreams, depth-capped arguments, upstream
// failures that do not name the upstream's address. A spy proxy in front of a weather server plays the careless
// upstream: it adds x-powered-by, CORS and cookie headers to its answers and records what the gateway sends it.
// The gateway allows one browser origin: its own CORS policy must be the only one a browser sees.
const APP_ORIGIN = "http://app.example";
const modes = deployments();
afterAll(async () => {
  await modes.stop();
});

const call = (id: number, name: string, args: unknown): string =>
  JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args } });
const deep = (levels: number): string => "[".repeat(levels) + "]".repeat(levels);
const INITIALIZE = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "hygiene", version: "1" } },
});
const MCP_HEADERS = { "content-type": "application/json", accept: "application/json, text/event-stream" };

describe.each(modes.all)("HTTP hygiene end to end (%s)", (_label, mode) => {
  let stack: GatewayStack;
  let spied: Awaited<ReturnType<typeof startExampleServer>>;
  let spy: HeaderSpy;
  let base: string;
  let connected: ConnectedClient;
  let session: string;

  beforeAll(async () => {
    spied = await startExampleServer("weather");
    spy = await startHeaderSpy(spied.url);
    stack = await startGatewayStack(await mode(), {
      extraServers: [`name: spy, url: "${spy.url}"`],
      security: `{ allowedOrigins: ["${APP_ORIGIN}"] }`,
    });
    base = new URL(stack.url).origin;
    connected = await connectClient(stack.url, "hygiene");
    session = connected.transport.sessionId ?? "";
  });
  afterAll(async () => {
    await connected.close();
    await stack.stop();
    await spy.close();
    await spied.stop();
  });

  it.each(["/MCP", "/Mcp", "/mcp/", "//mcp", "/./mcp", "/%6dcp", "/mcp%2F", "/mcp;x=1", "/mcp/x"])(
    "answers 404 for POST %s (only /mcp is the MCP endpoint)",
    async (path) => {
      const reply = await rawRequest(base, { method: "POST", path, headers: MCP_HEADERS, body: INITIALIZE });
      // Envoy refuses an escaped slash itself (400, path_with_escaped_slashes_action), before the router's 404.
      expect(reply.status).toBe(stack.envoy && /%2F/i.test(path) ? 400 : 404);
      expect(reply.headers["mcp-session-id"]).toBeUndefined();
    },
  );

  it.each(["/STATUS", "/Status", "/status/", "/METRICS", "/ReadyZ", "/healthz/"])(
    "answers 404 for GET %s",
    async (path) => {
      expect((await rawRequest(base, { method: "GET", path })).status).toBe(404);
    },
  );

  it("refuses GET /mcp with a body with 405 instead of opening a stream", async () => {
    const headers = { accept: "text/event-stream", "mcp-session-id": session, "content-length": "2" };
    const reply = await rawRequest(base, { method: "GET", path: "/mcp", headers, body: "{}" }, 3_000);
    expect(reply.status).toBe(405);
  });

  it("refuses DELETE /mcp with a body with 405, and the session lives on", async () => {
    const headers = { "mcp-session-id": session, "content-length": "2" };
    expect((await rawRequest(base, { method: "DELETE", path: "/mcp", headers, body: "{}" })).status).toBe(405);
    expect((await connected.client.ping()) as unknown).toEqual({});
  });

  it("relays only the allowed upstream response headers (no x-powered-by, CORS, cookies or challenges)", async () => {
    const reply = await rawPost(stack.url, call(3, "spy_get_forecast", { city: "Paris" }), {
      "mcp-session-id": session,
    });
    expect(reply.status).toBe(200);
    expect(reply.headers.get("content-type")).toMatch(/application\/json|text\/event-stream/);
    for (const [name, value] of Object.entries(UPSTREAM_EXTRA_HEADERS)) {
      // Envoy may set a `server` header of its own: the upstream's value is what must not show.
      expect([name, reply.headers.get(name) ?? undefined]).not.toEqual([name, value]);
      if (name !== "server") expect(reply.headers.get(name)).toBeNull();
    }
  });

  it("gives an allowed origin the gateway's CORS headers only, never the upstream's", async () => {
    const reply = await rawPost(stack.url, call(7, "spy_get_forecast", { city: "Lima" }), {
      "mcp-session-id": session,
      origin: APP_ORIGIN,
    });
    expect(reply.status).toBe(200);
    const cors = Object.fromEntries([...reply.headers].filter(([name]) => name.startsWith("access-control-")));
    // One value each (a relayed upstream header would show as "*, http://app.example"), and none of the upstream's
    // credentials, methods or max-age: a preflight is the gateway's to answer.
    expect(cors).toEqual({
      "access-control-allow-origin": APP_ORIGIN,
      "access-control-expose-headers": "mcp-session-id, mcp-protocol-version, www-authenticate, retry-after",
    });
  });

  it("sends no client-asserted address or last-event-id to the upstream", async () => {
    const before = spy.requests.length;
    const reply = await rawPost(stack.url, call(4, "spy_get_forecast", { city: "Oslo" }), {
      "mcp-session-id": session,
      "x-forwarded-for": "6.6.6.6",
      "x-forwarded-host": "evil.example",
      forwarded: "for=6.6.6.6;host=evil.example",
      "x-real-ip": "6.6.6.6",
      "last-event-id": "evil-event-1",
    });
    expect(reply.status).toBe(200);
    const calls = spy.requests.slice(before).filter((r) => r.method === "POST");
    expect(calls.length).toBeGreaterThanOrEqual(1);
    for (const { headers } of calls) {
      expect(headers["forwarded"]).toBeUndefined();
      expect(headers["x-forwarded-host"]).toBeUndefined();
      expect(headers["x-real-ip"]).toBeUndefined();
      expect(headers["last-event-id"]).toBeUndefined();
      expect(JSON.stringify(headers)).not.toContain("6.6.6.6");
    }
  });

  it("refuses arguments nested 30000 deep with 400 and -32600 naming the depth cap", async () => {
    // Arrays: the deepest nesting that fits the stack's 64 KiB body cap (JSON.stringify overflows far earlier).
    const body = `{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"spy_get_forecast","arguments":{"x":${deep(30_000)}}}}`;
    const reply = await rawPost(stack.url, body, { "mcp-session-id": session });
    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({
      id: 5,
      error: { code: -32600, message: expect.stringContaining("limits.maxJsonDepth") },
    });
  });

  // Last: it stops the spy.
  it("answers a call to a dead upstream with 502 naming the server, never its address", async () => {
    await spy.close();
    const fresh = await connectClient(stack.url, "hygiene-dead");
    try {
      const reply = await rawPost(stack.url, call(6, "spy_get_forecast", { city: "Rome" }), {
        "mcp-session-id": fresh.transport.sessionId ?? "",
      });
      expect(reply.status).toBe(502);
      const message = String((reply.json["error"] as { message?: unknown } | undefined)?.message);
      expect(message).toContain('"spy"');
      expect(message).not.toContain(String(spy.port));
      expect(message).not.toContain("127.0.0.1");
      // The operator's log does name it (written by whichever process made the call, maybe a moment later).
      expect(await pollUntil(() => stack.gatewayOutput().includes(String(spy.port)), 10_000)).toBe(true);
    } finally {
      await fresh.close();
    }
  });
});

// Receiving a request is bounded at the gateway's own listener (in Envoy mode Envoy receives the client's request;
// the broker's listener behind it has the same bound, see broker/src/http-server.test.ts).
describe("request timeout of the standalone gateway (limits.requestTimeout: 2s)", () => {
  let stack: GatewayStack;
  let port: number;
  beforeAll(async () => {
    stack = await startGatewayStack({ kind: "standalone" }, { limits: "requestTimeout: 2s" });
    port = Number(new URL(stack.url).port);
  });
  afterAll(async () => {
    await stack.stop();
  });

  it("closes a request whose body trickles in, within the timeout and Node's check interval", async () => {
    const connected = await connectClient(stack.url, "slow");
    const head = [
      "POST /mcp HTTP/1.1",
      "host: 127.0.0.1",
      "content-type: application/json",
      "accept: application/json, text/event-stream",
      `mcp-session-id: ${connected.transport.sessionId ?? ""}`,
      "content-length: 100000",
      "",
      "",
    ].join("\r\n");
    const answer = await new Promise<string>((resolve) => {
      let text = "";
      const socket = connect(port, "127.0.0.1", () => socket.write(head));
      const drip = setInterval(() => socket.write(" "), 200);
      const give = setTimeout(() => socket.destroy(), 15_000);
      socket.on("data", (chunk: Buffer) => (text += chunk.toString("latin1")));
      socket.on("error", () => undefined);
      socket.on("close", () => {
        clearInterval(drip);
        clearTimeout(give);
        resolve(text);
      });
    });
    await connected.close();
    // A 408 at all means the timeout cut the dripping request (unbounded, it would be dropped at 15 s unanswered).
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it("keeps a GET notification stream open past the timeout", async () => {
    const connected = await connectClient(stack.url, "streaming");
    const stream = await openEventStream(stack.url, {
      accept: "text/event-stream",
      "mcp-session-id": connected.transport.sessionId ?? "",
    });
    expect(stream.status).toBe(200);
    const ended = await Promise.race([stream.ended.then(() => true), sleep(4_500).then(() => false)]);
    stream.close();
    await connected.close();
    expect(ended).toBe(false);
  });
});
