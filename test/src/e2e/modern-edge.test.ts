import { deployments } from "./stack-modes";
import { connectClient, type ConnectedClient } from "./mcp-client";
import { startGatewayStack, type GatewayStack } from "./gateway-stack";
import { startModernUpstream, type ModernUpstream } from "../support/modern-upstream";

jest.setTimeout(90_000);

// The router's modern edge under a real Envoy: a 2026-07-28 request is validated by the SDK's own ladder while the
// router holds the body; a routed call whose target is a 2026 upstream goes straight to that upstream's cluster with
// its own name in body and Mcp-Name; every other modern request, and a legacy client's call to a 2026 upstream,
// goes to the broker. (Standalone mode serves modern requests from the broker's SDK front end.)
const modes = deployments();
const envoyModes = modes.all.filter(([label]) => label.startsWith("Envoy mode"));
afterAll(async () => {
  await modes.stop();
});

const REVISION = "2026-07-28";
const META = {
  "io.modelcontextprotocol/protocolVersion": REVISION,
  "io.modelcontextprotocol/clientCapabilities": {},
  "io.modelcontextprotocol/clientInfo": { name: "raw-modern", version: "1.0.0" },
};
const UNICODE_TOOL = "wetter_für_köln";

interface Reply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

async function post(url: string, headers: Record<string, string>, body: unknown): Promise<Reply> {
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": REVISION,
      ...headers,
    },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  const json = text.trimStart().startsWith("{")
    ? text
    : (text
        .split("\n")
        .find((line) => line.startsWith("data:"))
        ?.slice(5) ?? "{}");
  return { status: response.status, headers: response.headers, body: JSON.parse(json) as Record<string, unknown> };
}

const callTool = (id: number, name: string, args: Record<string, unknown> = {}) => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: { name, arguments: args, _meta: META },
});
// The router's immediate response: Envoy names the route's cluster even so, the details say no upstream answered.
const refusedByRouter = (status: number) => ({
  status,
  details: expect.stringMatching(/^mcp_gateway_/) as unknown,
  line: expect.objectContaining({ mcp_decision: "refused" }) as unknown,
});
const toBroker = { cluster: "mcp_broker", line: expect.objectContaining({ mcp_decision: "broker" }) as unknown };
const base64 = (text: string): string => `=?base64?${Buffer.from(text, "utf8").toString("base64")}?=`;

describe.each(envoyModes)("the router's modern edge (%s)", (_label, mode) => {
  let upstream: ModernUpstream;
  let stack: GatewayStack;

  beforeAll(async () => {
    upstream = await startModernUpstream({
      tools: [
        { name: "echo", inputSchema: { type: "object", properties: { text: { type: "string" } } } },
        {
          name: UNICODE_TOOL,
          inputSchema: { type: "object", properties: { region: { type: "string", "x-mcp-header": "Region" } } },
        },
      ],
    });
    stack = await startGatewayStack(await mode(), { extraServers: [`name: fresh, url: "${upstream.url}"`] });
  });
  afterAll(async () => {
    await stack.stop();
    await upstream.close();
  });

  const received = (name: string) =>
    upstream.requests.filter((r) => r.method === "tools/call" && r.params["name"] === name);

  it("routes a modern call straight to the 2026 upstream with its own name in the body and in Mcp-Name", async () => {
    const started = Date.now();
    const reply = await post(
      stack.url,
      { "mcp-method": "tools/call", "mcp-name": "fresh_echo" },
      callTool(1, "fresh_echo", { text: "hi" }),
    );
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ id: 1, result: { content: [{ type: "text", text: "echo: hi" }] } });
    expect(reply.headers.get("mcp-session-id")).toBeNull();
    const routed = await stack.envoy?.routeSince(started, (route) => route.cluster !== "mcp_broker");
    expect(routed).toMatchObject({ cluster: "mcp_server_fresh", status: 200, details: "via_upstream" });
    const [seen] = received("echo");
    expect(seen?.headers).toMatchObject({
      "mcp-name": "echo",
      "mcp-method": "tools/call",
      "mcp-protocol-version": REVISION,
    });
    expect(seen?.headers["mcp-session-id"]).toBeUndefined();
  });

  it("rewrites a base64 Mcp-Name to the upstream's own name, base64-encoded, and forwards Mcp-Param-* as sent", async () => {
    const exposed = `fresh_${UNICODE_TOOL}`;
    const reply = await post(
      stack.url,
      { "mcp-method": "tools/call", "mcp-name": base64(exposed), "mcp-param-region": base64("Köln") },
      callTool(2, exposed, { region: "Köln" }),
    );
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ id: 2, result: { content: [{ text: `${UNICODE_TOOL}: ` }] } });
    const [seen] = received(UNICODE_TOOL);
    expect(seen?.headers["mcp-name"]).toBe(base64(UNICODE_TOOL));
    expect(seen?.headers["mcp-param-region"]).toBe(base64("Köln"));
  });

  it.each([
    ["an Mcp-Name naming another tool", { "mcp-method": "tools/call", "mcp-name": "fresh_other" }, 400, -32020],
    ["no Mcp-Name", { "mcp-method": "tools/call" }, 400, -32020],
    ["an Mcp-Method naming another method", { "mcp-method": "prompts/get", "mcp-name": "fresh_echo" }, 400, -32020],
    [
      "an unsupported revision",
      { "mcp-protocol-version": "2099-01-01", "mcp-method": "tools/call", "mcp-name": "fresh_echo" },
      400,
      -32020,
    ],
  ])(
    "refuses a call with %s at the router, with the SDK's status, code and the request id",
    async (_name, headers, status, code) => {
      const before = received("echo").length;
      const started = Date.now();
      const reply = await post(stack.url, headers, callTool(3, "fresh_echo"));
      expect(reply.status).toBe(status);
      expect(reply.body).toMatchObject({ jsonrpc: "2.0", id: 3, error: { code } });
      expect(await stack.envoy?.routeSince(started)).toMatchObject(refusedByRouter(status));
      expect(received("echo").length).toBe(before);
    },
  );

  it("answers a removed method (ping) with 404 and -32601 at the router", async () => {
    const started = Date.now();
    const reply = await post(
      stack.url,
      { "mcp-method": "ping" },
      { jsonrpc: "2.0", id: "p", method: "ping", params: { _meta: META } },
    );
    expect(reply).toMatchObject({ status: 404, body: { id: "p", error: { code: -32601 } } });
    expect(await stack.envoy?.routeSince(started)).toMatchObject(refusedByRouter(404));
  });

  it("sends every other modern request to the broker", async () => {
    const started = Date.now();
    await post(
      stack.url,
      { "mcp-method": "tools/list" },
      { jsonrpc: "2.0", id: 4, method: "tools/list", params: { _meta: META } },
    );
    expect(await stack.envoy?.routeSince(started)).toMatchObject(toBroker);
  });

  it("sends a modern call to a 2025 upstream's tool to the broker (it bridges the call)", async () => {
    const started = Date.now();
    await post(
      stack.url,
      { "mcp-method": "tools/call", "mcp-name": "weather_get_alerts" },
      callTool(5, "weather_get_alerts", { region: "Alps" }),
    );
    expect(await stack.envoy?.routeSince(started)).toMatchObject(toBroker);
  });

  it("sends a legacy client's call to a 2026 upstream to the broker, and keeps legacy calls to 2025 upstreams direct", async () => {
    const connected: ConnectedClient = await connectClient(stack.url);
    try {
      const started = Date.now();
      // Raw, so nothing on the client's side decides: a legacy (session) call naming the 2026 upstream's tool.
      await post(
        stack.url,
        { "mcp-session-id": connected.transport.sessionId ?? "", "mcp-protocol-version": "2025-11-25" },
        { jsonrpc: "2.0", id: 9, method: "tools/call", params: { name: "fresh_echo", arguments: { text: "old" } } },
      );
      const legacyCall = await stack.envoy?.routeSince(started, (r) => r.line["mcp_method"] === "tools/call");
      expect(legacyCall).toMatchObject({
        cluster: "mcp_broker",
        line: expect.objectContaining({ mcp_decision: "broker", mcp_server: "fresh", mcp_target: "fresh_echo" }),
      });
      const direct = Date.now();
      const result = await connected.client.callTool({ name: "weather_get_alerts", arguments: { region: "Alps" } });
      expect(result.isError).toBeFalsy();
      const routed = await stack.envoy?.routeSince(direct, (route) => route.cluster !== "mcp_broker");
      expect(routed).toMatchObject({ cluster: "mcp_server_weather", status: 200 });
    } finally {
      await connected.close();
    }
  });
});

// Standalone mode decides the same way in its forwarder: the same ladder, the same direct call to the 2026 upstream.
describe.each(modes.all.filter(([label]) => label === "standalone"))("the forwarder's modern edge (%s)", (_l, mode) => {
  let upstream: ModernUpstream;
  let stack: GatewayStack;

  beforeAll(async () => {
    upstream = await startModernUpstream();
    stack = await startGatewayStack(await mode(), { extraServers: [`name: fresh, url: "${upstream.url}"`] });
  });
  afterAll(async () => {
    await stack.stop();
    await upstream.close();
  });

  it("calls the 2026 upstream with its own name in the body and Mcp-Name, and no session either way", async () => {
    const reply = await post(
      stack.url,
      { "mcp-method": "tools/call", "mcp-name": "fresh_echo" },
      callTool(1, "fresh_echo", { text: "hi" }),
    );
    expect(reply).toMatchObject({ status: 200, body: { id: 1, result: { content: [{ text: "echo: hi" }] } } });
    expect(reply.headers.get("mcp-session-id")).toBeNull();
    const seen = upstream.requests.find((r) => r.method === "tools/call");
    expect(seen?.params["name"]).toBe("echo");
    expect(seen?.headers["mcp-name"]).toBe("echo");
    expect(seen?.headers["mcp-session-id"]).toBeUndefined();
  });

  it("refuses a header/body mismatch before the upstream sees it", async () => {
    // Only calls count: the gateway's health checks (server/discover) reach the upstream at any time.
    const calls = (): number => upstream.requests.filter((r) => r.method === "tools/call").length;
    const before = calls();
    const reply = await post(
      stack.url,
      { "mcp-method": "tools/call", "mcp-name": "fresh_x" },
      callTool(2, "fresh_echo"),
    );
    expect(reply).toMatchObject({ status: 400, body: { id: 2, error: { code: -32020 } } });
    expect(calls()).toBe(before);
  });
});
