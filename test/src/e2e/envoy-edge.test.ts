import { request } from "node:http";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { Agent, fetch as undiciFetch } from "undici";
import { rawRequest, type RawReply } from "../support/raw-http";
import { makeSelfSigned, type SelfSigned } from "../support/self-signed";
import { startGatewayStack, type GatewayStack } from "./gateway-stack";
import { connectClient, type ConnectedClient } from "./mcp-client";

jest.setTimeout(60_000);

// The rendered listener as a platform team deploys it, through the real Envoy: path normalization, the client address,
// the bound on receiving a request, and TLS.
const INITIALIZE = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "edge", version: "1" } },
});
const POST_HEADERS = {
  "content-type": "application/json",
  accept: "application/json, text/event-stream",
  "content-length": String(Buffer.byteLength(INITIALIZE)),
};

function jsonRpcError(reply: RawReply): { code: number; message: string } {
  expect(reply.headers["content-type"]).toBe("application/json");
  return (JSON.parse(reply.body) as { error: { code: number; message: string } }).error;
}

describe("the rendered edge listener (real Envoy)", () => {
  let stack: GatewayStack;
  let client: ConnectedClient;

  beforeAll(async () => {
    stack = await startGatewayStack({ kind: "envoy", store: "memory" }, { limits: "requestTimeout: 1s" });
    client = await connectClient(stack.url);
  });
  afterAll(async () => {
    await client?.close();
    await stack?.stop();
  });

  const post = (path: string, headers: Record<string, string> = {}): Promise<RawReply> =>
    rawRequest(stack.envoy!.port, path, {
      method: "POST",
      headers: { ...POST_HEADERS, ...headers },
      chunks: [INITIALIZE],
    });

  // One exact path: Envoy passes the path as sent and the router refuses every variant, so the router's checks never
  // meet a path they were not written for. An escaped slash or backslash is refused by Envoy itself. A JSON-RPC
  // body either way, and nothing reaches the broker or an upstream.
  it.each<[string, number]>([
    ["/%2Fmcp", 400],
    ["/mcp%2F", 400],
    ["/%2fmcp", 400],
    ["/%5Cmcp", 400],
    ["/x%2F..%2Fmcp", 400],
    ["//mcp", 404],
    ["/./mcp", 404],
    ["/mcp/../mcp", 404],
    ["/x/../mcp", 404],
    ["/.//mcp", 404],
    ["/%6Dcp", 404],
    ["/MCP", 404],
    ["/mcp/", 404],
    ["/Mcp", 404],
    ["/mcp/.", 404],
    ["/mcpx", 404],
    ["/status", 404],
    ["//status", 404],
  ])("refuses %s with %i and a JSON-RPC body, before any upstream", async (path, status) => {
    const since = Date.now();
    const reply = await post(path);
    expect(reply.status).toBe(status);
    expect(jsonRpcError(reply).code).toBe(-32600);
    // 400: Envoy's own reply before any routing (its local_reply_config made the body). 404: the router's immediate
    // response (%UPSTREAM_CLUSTER% names the route's cluster even so; the details say no upstream answered).
    const route = await stack.envoy!.routeSince(since, (r) => r.status === status);
    if (status === 400) expect(route).toMatchObject({ cluster: "-", details: "path_normalization_failed" });
    else expect(route).toMatchObject({ path, details: expect.stringMatching(/^mcp_gateway_/) });
  });

  it("takes the client address from the TCP peer, not a client's x-forwarded-for", async () => {
    const since = Date.now();
    expect((await post("/mcp", { "x-forwarded-for": "203.0.113.7" })).status).toBe(200);
    expect((await stack.envoy!.routeSince(since, (r) => r.method === "POST")).client).toBe("127.0.0.1");
  });

  it("answers a request whose body trickles past limits.requestTimeout with 408 and a JSON-RPC body", async () => {
    const reply = await rawRequest(stack.envoy!.port, "/mcp", {
      method: "POST",
      headers: POST_HEADERS,
      chunks: [...INITIALIZE.slice(0, 20)],
      gapMs: 250,
    });
    expect(reply.status).toBe(408);
    expect(jsonRpcError(reply)).toEqual({ code: -32600, message: expect.stringContaining("request_overall_timeout") });
  });

  it("keeps a GET notification stream open past limits.requestTimeout", async () => {
    const headers = { accept: "text/event-stream", "mcp-session-id": client.transport.sessionId ?? "" };
    const outcome = await new Promise<{ status: number; openAfterMs: number }>((resolve, reject) => {
      const opened = Date.now();
      const req = request(
        { host: "127.0.0.1", port: stack.envoy!.port, path: "/mcp", headers, agent: false },
        (res) => {
          let ended = false;
          res.on("data", () => undefined);
          res.on("close", () => (ended = true));
          setTimeout(() => {
            resolve({ status: ended ? -1 : (res.statusCode ?? 0), openAfterMs: Date.now() - opened });
            req.destroy();
          }, 2_500);
        },
      );
      req.on("error", reject);
      req.end();
    });
    expect(outcome.status).toBe(200);
    expect(outcome.openAfterMs).toBeGreaterThanOrEqual(2_500);
  });
});

describe("a TLS listener with a self-signed certificate (real Envoy)", () => {
  let tls: SelfSigned;
  let stack: GatewayStack;
  let agent: Agent;

  beforeAll(async () => {
    tls = await makeSelfSigned();
    stack = await startGatewayStack(
      { kind: "envoy", store: "memory" },
      {
        envoy: `{ xffTrustedHops: 1, tls: { certificateFile: "${tls.certificateFile}", keyFile: "${tls.keyFile}" } }`,
      },
    );
    agent = new Agent({ connect: { ca: tls.ca } });
  });
  afterAll(async () => {
    await agent?.close();
    await stack?.stop();
    await tls?.remove();
  });

  const httpsUrl = (): string => `https://127.0.0.1:${stack.envoy!.port}/mcp`;

  it("serves a real MCP SDK client over https: lists and calls a tool", async () => {
    const fetchOverTls = ((url: string | URL, init?: RequestInit) =>
      undiciFetch(url, { ...(init as object), dispatcher: agent })) as unknown as typeof fetch;
    const client = new Client({ name: "tls-client", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(httpsUrl()), { fetch: fetchOverTls }));
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain("weather_get_forecast");
      const result = await client.callTool({ name: "weather_get_forecast", arguments: { city: "Paris" } });
      expect(result.isError).toBeFalsy();
      expect(JSON.stringify(result.content)).toContain("Paris");
    } finally {
      await client.close();
    }
  });

  it("refuses a client that does not trust the certificate, and plain HTTP on the TLS port", async () => {
    await expect(undiciFetch(httpsUrl(), { method: "POST" })).rejects.toThrow();
    await expect(rawRequest(stack.envoy!.port, "/mcp")).rejects.toThrow();
  });

  it("trusts one proxy hop of x-forwarded-for (envoy.xffTrustedHops: 1)", async () => {
    const since = Date.now();
    const response = await undiciFetch(httpsUrl(), {
      method: "POST",
      headers: { ...POST_HEADERS, "x-forwarded-for": "203.0.113.7" },
      body: INITIALIZE,
      dispatcher: agent,
    });
    expect(response.status).toBe(200);
    await response.text();
    expect((await stack.envoy!.routeSince(since, (r) => r.method === "POST")).client).toBe("203.0.113.7");
  });
});
