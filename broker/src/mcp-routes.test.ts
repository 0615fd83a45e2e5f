import { LATEST_PROTOCOL_VERSION } from "@modelcontextprotocol/sdk/types.js";
import { GatewaySessionCodec } from "@mcp-gateway/core";
import { startServer, type RunningServer } from "../../examples/weather-server/src/index";
import {
  gatewayYaml,
  INIT_PARAMS,
  initializeSession,
  openEventStream,
  postMcp,
  startBroker,
  TEST_SESSION_SECRET,
  waitUntil,
  type RunningBroker,
} from "./testing/broker-fixture";

// One broker for the file; its body limit is small so the 413 case needs no second broker (every other body is far
// below it).
const MAX_BODY_BYTES = 1024;
let weather: RunningServer;
let gateway: RunningBroker;

beforeAll(async () => {
  weather = await startServer({ port: 0 });
  gateway = await startBroker(
    gatewayYaml([{ name: "weather", url: weather.url }], `limits: { maxBodyBytes: ${MAX_BODY_BYTES} }`),
  );
});

afterAll(async () => {
  await gateway.close();
  await weather.close();
});

const initialize = (params?: unknown) =>
  postMcp(gateway.mcpUrl, { jsonrpc: "2.0", id: 1, method: "initialize", ...(params ? { params } : {}) });
const toolsList = { jsonrpc: "2.0", id: 7, method: "tools/list" };

/** The HTTP status of a GET /mcp; the stream is closed right away (a wrongly accepted one must not linger). */
async function getStatus(headers: Record<string, string>): Promise<number> {
  const stream = await openEventStream(gateway.mcpUrl, headers);
  stream.close();
  await stream.ended;
  return stream.status;
}

describe("POST /mcp initialize", () => {
  it("issues a g1. session id that the gateway's codec verifies", async () => {
    const reply = await initialize(INIT_PARAMS);
    const session = reply.headers.get("mcp-session-id") ?? "";
    expect(reply.status).toBe(200);
    expect(session.startsWith("g1.")).toBe(true);
    expect(gateway.context.sessions.verify(session).ok).toBe(true);
  });

  it.each([
    ["2025-06-18", "2025-06-18"],
    ["2024-11-05", "2024-11-05"],
    ["1999-01-01", LATEST_PROTOCOL_VERSION],
    [undefined, LATEST_PROTOCOL_VERSION],
  ])("answers protocolVersion %s with %s", async (requested, agreed) => {
    const reply = await initialize({ ...INIT_PARAMS, protocolVersion: requested });
    expect(reply.json.result.protocolVersion).toBe(agreed);
  });

  it("declares what it serves: list changes, resource subscriptions, logging and completions", async () => {
    const reply = await initialize(INIT_PARAMS);
    expect(reply.json.result.capabilities).toEqual({
      tools: { listChanged: true },
      prompts: { listChanged: true },
      resources: { subscribe: true, listChanged: true },
      logging: {},
      completions: {},
    });
  });

  it("refuses initialize without params with -32602 and no session", async () => {
    const reply = await initialize();
    expect(reply.json).toMatchObject({ id: 1, error: { code: -32602 } });
    expect(reply.headers.get("mcp-session-id")).toBeNull();
  });
});

describe("POST /mcp errors", () => {
  it("answers a request without mcp-session-id with 400 and -32600", async () => {
    const reply = await postMcp(gateway.mcpUrl, toolsList);
    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({ id: 7, error: { code: -32600 } });
  });

  it.each([
    ["forged", () => new GatewaySessionCodec("another-secret-0123456789abcdef-xyz", 60_000).issue()],
    ["expired", () => new GatewaySessionCodec(TEST_SESSION_SECRET, 1000, () => Date.now() - 60_000).issue()],
    ["malformed", () => "not-a-session"],
  ])("answers 404 and -31002 to a session id that is %s", async (_kind, mint) => {
    const reply = await postMcp(gateway.mcpUrl, toolsList, { "mcp-session-id": mint() });
    expect(reply.status).toBe(404);
    expect(reply.json).toMatchObject({ id: 7, error: { code: -31002 } });
  });

  it.each([
    ["2025-06-18", 200],
    ["2024-11-05", 200],
    ["1999-01-01", 400],
  ])("answers a request with mcp-protocol-version %s with HTTP %i", async (version, status) => {
    const session = await initializeSession(gateway.mcpUrl);
    const reply = await postMcp(gateway.mcpUrl, toolsList, {
      "mcp-session-id": session,
      "mcp-protocol-version": version,
    });
    expect(reply.status).toBe(status);
    if (status === 400) expect(reply.json).toMatchObject({ id: 7, error: { code: -32600 } });
  });

  it("answers content-type text/plain with 415", async () => {
    const session = await initializeSession(gateway.mcpUrl);
    const reply = await postMcp(gateway.mcpUrl, JSON.stringify(toolsList), {
      "content-type": "text/plain",
      "mcp-session-id": session,
    });
    expect(reply.status).toBe(415);
    expect(reply.json.error.code).toBe(-32600);
  });

  it("answers a body over limits.maxBodyBytes with 413 and -31003", async () => {
    const session = await initializeSession(gateway.mcpUrl);
    const big = { ...toolsList, params: { padding: "x".repeat(MAX_BODY_BYTES) } };
    const reply = await postMcp(gateway.mcpUrl, big, { "mcp-session-id": session });
    expect(reply.status).toBe(413);
    expect(reply.json.error.code).toBe(-31003);
  });

  it("answers invalid JSON with 400 and -32700", async () => {
    const reply = await postMcp(gateway.mcpUrl, "{not json");
    expect(reply.status).toBe(400);
    expect(reply.json.error.code).toBe(-32700);
  });

  it("answers an unknown method with -32601 naming it", async () => {
    const session = await initializeSession(gateway.mcpUrl);
    const reply = await postMcp(
      gateway.mcpUrl,
      { jsonrpc: "2.0", id: 3, method: "tools/frobnicate" },
      { "mcp-session-id": session },
    );
    expect(reply.json).toMatchObject({ id: 3, error: { code: -32601 } });
    expect(reply.json.error.message).toContain("tools/frobnicate");
  });

  it("answers PUT /mcp with 405 and an allow header", async () => {
    const response = await fetch(gateway.mcpUrl, { method: "PUT", body: "{}" });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET, POST, DELETE");
  });

  it.each([
    ["a notification", { jsonrpc: "2.0", method: "notifications/initialized" }],
    ["a JSON-RPC response", { jsonrpc: "2.0", id: 42, result: {} }],
  ])("accepts %s with 202 and no body", async (_kind, message) => {
    const session = await initializeSession(gateway.mcpUrl);
    const reply = await postMcp(gateway.mcpUrl, message, { "mcp-session-id": session });
    expect(reply.status).toBe(202);
    expect(reply.json).toBe("");
  });
});

describe("GET /mcp", () => {
  it("answers a GET without accept: text/event-stream with 406", async () => {
    const session = await initializeSession(gateway.mcpUrl);
    expect(await getStatus({ accept: "application/json", "mcp-session-id": session })).toBe(406);
  });

  it("opens an SSE stream for a live session", async () => {
    const session = await initializeSession(gateway.mcpUrl);
    const stream = await openEventStream(gateway.mcpUrl, { accept: "text/event-stream", "mcp-session-id": session });
    expect(stream.status).toBe(200);
    expect(stream.headers["content-type"]).toBe("text/event-stream");
    stream.close();
    await stream.ended;
  });

  it("answers a GET naming an unsupported mcp-protocol-version with 400", async () => {
    const session = await initializeSession(gateway.mcpUrl);
    const headers = { accept: "text/event-stream", "mcp-session-id": session, "mcp-protocol-version": "1999-01-01" };
    expect(await getStatus(headers)).toBe(400);
  });

  it("answers a GET without a session with 400", async () => {
    expect(await getStatus({ accept: "text/event-stream" })).toBe(400);
  });
});

describe("DELETE /mcp", () => {
  const del = (session: string) => fetch(gateway.mcpUrl, { method: "DELETE", headers: { "mcp-session-id": session } });

  it("answers 200 and then 404 to any request on that session", async () => {
    const session = await initializeSession(gateway.mcpUrl);
    expect((await del(session)).status).toBe(200);
    const reply = await postMcp(gateway.mcpUrl, toolsList, { "mcp-session-id": session });
    expect(reply.status).toBe(404);
    expect(reply.json.error.code).toBe(-31002);
  });

  it("refuses a GET stream on a deleted session with 404", async () => {
    const session = await initializeSession(gateway.mcpUrl);
    await del(session);
    expect(await getStatus({ accept: "text/event-stream", "mcp-session-id": session })).toBe(404);
  });

  it("closes the session's open GET streams", async () => {
    const session = await initializeSession(gateway.mcpUrl);
    const stream = await openEventStream(gateway.mcpUrl, { accept: "text/event-stream", "mcp-session-id": session });
    await waitUntil(() => gateway.broker.hub.size >= 1, "the stream to register");
    await del(session);
    await stream.ended;
    await waitUntil(() => gateway.broker.hub.size === 0, "the hub to forget the stream");
  });

  it("ends the upstream sessions created for it", async () => {
    const session = await initializeSession(gateway.mcpUrl);
    const server = gateway.context.config().servers[0];
    if (!server) throw new Error("no server configured");
    const backend = await gateway.context.backendSessions.acquire(session, server, "2025-06-18", 60_000);
    const upstreamHeaders = { "mcp-session-id": backend.sessionId, "mcp-protocol-version": backend.protocolVersion };
    expect((await postMcp(weather.url, toolsList, upstreamHeaders)).status).toBe(200);
    await del(session);
    expect((await postMcp(weather.url, toolsList, upstreamHeaders)).status).toBe(404);
  });

  it("answers DELETE without a session with 400", async () => {
    const response = await fetch(gateway.mcpUrl, { method: "DELETE" });
    expect(response.status).toBe(400);
  });
});
