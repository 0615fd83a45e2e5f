import { parseConfig } from "@mcp-gateway/core";
import { DEFAULT_RENDER_OPTIONS, renderEnvoyConfig } from "@mcp-gateway/router";
import { startEnvoy, type EnvoyProcess } from "../support/envoy-process";
import { rawRequest, type RawReply } from "../support/raw-http";
import { freePort } from "../support/redis-server";
import { startEdgeUpstream, type EdgeUpstream } from "./edge-upstream";
import { MAX_BODY_BYTES, startGatewayStack, type GatewayStack } from "./gateway-stack";
import { connectClient, type ConnectedClient } from "./mcp-client";

jest.setTimeout(60_000);

// Envoy's own local replies (not the router's) carry a JSON-RPC error body through the real Envoy, each checked in
// Envoy's access log to be Envoy's own reply and not the router's.
const MAPPER_MESSAGES = [
  "the gateway's router is unavailable; retry later",
  "the upstream server did not answer within its timeout",
  "the upstream server is unavailable",
  "request body too large",
  "the gateway failed to answer",
];

function jsonRpcError(reply: RawReply): { code: number; message: string } {
  expect(reply.headers["content-type"]).toBe("application/json");
  const body = JSON.parse(reply.body) as { jsonrpc: string; id: unknown; error: { code: number; message: string } };
  expect(body).toMatchObject({ jsonrpc: "2.0", error: { code: expect.any(Number), message: expect.any(String) } });
  return body.error;
}

const POST_HEADERS = {
  "content-type": "application/json",
  accept: "application/json, text/event-stream",
  "mcp-protocol-version": "2025-06-18",
};

describe("Envoy's own local replies are JSON-RPC errors (real Envoy)", () => {
  let edge: EdgeUpstream;
  let stack: GatewayStack;
  let envoy: EnvoyProcess;
  let sessionId: string;
  let client: ConnectedClient;

  beforeAll(async () => {
    edge = await startEdgeUpstream();
    stack = await startGatewayStack(
      { kind: "envoy", store: "memory" },
      { extraServers: [`name: edge, url: "${edge.url}", timeout: 300ms`] },
    );
    envoy = stack.envoy!;
    // The client stays connected: its gateway session is the one the raw requests below use.
    client = await connectClient(stack.url);
    sessionId = client.transport.sessionId ?? "";
  });
  afterAll(async () => {
    await client?.close();
    await stack?.stop();
    await edge?.stop();
  });

  const callTool = (name: string, id: number): Promise<RawReply> => {
    const body = JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: {} } });
    return rawRequest(envoy.port, "/mcp", {
      method: "POST",
      headers: { ...POST_HEADERS, "mcp-session-id": sessionId, "content-length": String(Buffer.byteLength(body)) },
      chunks: [body],
    });
  };

  it("a quick call goes through Envoy's route to the upstream", async () => {
    const since = Date.now();
    const reply = await callTool("edge_echo", 0);
    expect(reply.status).toBe(200);
    expect((await envoy.routeSince(since, (r) => r.status === 200)).cluster).toBe("mcp_server_edge");
    expect(JSON.parse(reply.body)).toMatchObject({ id: 0, result: { content: [{ text: "done" }] } });
  });

  it("a route timeout: 504 with -31004", async () => {
    const since = Date.now();
    const reply = await callTool("edge_slow", 1);
    expect(reply.status).toBe(504);
    expect(jsonRpcError(reply)).toEqual({ code: -31004, message: MAPPER_MESSAGES[1] });
    expect((await envoy.routeSince(since, (r) => r.status === 504)).details).toBe("response_timeout");
  });

  it("an upstream that drops the connection: 503 with -31001", async () => {
    const since = Date.now();
    const reply = await callTool("edge_reset", 2);
    expect(reply.status).toBe(503);
    expect(jsonRpcError(reply)).toEqual({ code: -31001, message: MAPPER_MESSAGES[2] });
    expect(edge.calls).toContain("reset");
    const route = await envoy.routeSince(since, (r) => r.status === 503);
    expect(route.cluster).toBe("mcp_server_edge");
    expect(route.details).toMatch(/^upstream_reset_before_response_started/);
  });

  it("a chunked body over the buffer limit: 413 with -31003", async () => {
    const since = Date.now();
    const reply = await rawRequest(envoy.port, "/mcp", {
      method: "POST",
      headers: { ...POST_HEADERS, "mcp-session-id": sessionId, "transfer-encoding": "chunked" },
      chunks: [`{"jsonrpc":"2.0","id":3,"method":"ping","params":{"pad":"`, "x".repeat(MAX_BODY_BYTES + 1024), `"}}`],
    });
    expect(reply.status).toBe(413);
    expect(jsonRpcError(reply)).toEqual({ code: -31003, message: MAPPER_MESSAGES[3] });
    expect((await envoy.routeSince(since, (r) => r.status === 413)).details).toBe("request_payload_too_large");
  });

  it("leaves the router's own replies as the router wrote them (a 404 off /mcp, a 413 on content-length)", async () => {
    const since = Date.now();
    const notFound = await rawRequest(envoy.port, "/other", { headers: { accept: "application/json" } });
    const tooLarge = await rawRequest(envoy.port, "/mcp", {
      method: "POST",
      headers: { ...POST_HEADERS, "content-length": String(MAX_BODY_BYTES + 1) },
    }).catch((error: unknown) => ({ status: 0, headers: {}, body: String(error) }));
    expect(notFound.status).toBe(404);
    expect(tooLarge.status).toBe(413);
    for (const reply of [notFound, tooLarge]) {
      const error = jsonRpcError(reply);
      expect(MAPPER_MESSAGES).not.toContain(error.message);
      expect(error.message).not.toMatch(/request refused by the gateway/);
    }
    const routes = [
      await envoy.routeSince(since, (r) => r.status === 404),
      await envoy.routeSince(since, (r) => r.status === 413),
    ];
    for (const route of routes) expect(route.details).toMatch(/^mcp_gateway_/);
  });
});

describe("ext_proc failure is a JSON-RPC 503 (real Envoy, router down)", () => {
  let envoy: EnvoyProcess;

  beforeAll(async () => {
    const config = parseConfig(
      'version: 1\nauth: none\nservers:\n  - { name: a, url: "http://127.0.0.1:1/mcp" }\n',
      {},
    );
    const [router, broker] = [await freePort(), await freePort()];
    envoy = await startEnvoy(
      renderEnvoyConfig(config, {
        ...DEFAULT_RENDER_OPTIONS,
        listener: { address: "127.0.0.1", port: 0 },
        admin: { address: "127.0.0.1", port: 0 },
        router: { address: "127.0.0.1", port: router },
        broker: { address: "127.0.0.1", port: broker },
      }),
    );
  });
  afterAll(async () => envoy?.stop());

  it("answers 503 with -31001, naming no internal address", async () => {
    const since = Date.now();
    const reply = await rawRequest(envoy.port, "/mcp", {
      method: "POST",
      headers: POST_HEADERS,
      chunks: ['{"jsonrpc":"2.0","id":1,"method":"ping"}'],
    });
    expect(reply.status).toBe(503);
    expect(jsonRpcError(reply)).toEqual({ code: -31001, message: MAPPER_MESSAGES[0] });
    expect(reply.body).not.toMatch(/127\.0\.0\.1|connect|refused/i);
    expect((await envoy.routeSince(since)).details).toMatch(/^ext_proc_error/);
  });
});
