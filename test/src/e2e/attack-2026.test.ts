import { deployments } from "./stack-modes";
import { startGatewayStack, type GatewayStack } from "./gateway-stack";
import { startModernUpstream, type ModernUpstream } from "../support/modern-upstream";

jest.setTimeout(90_000);

// Attacks on the 2026-07-28 edge in every deployment: requests the router (or the standalone forwarder) and the
// upstream could read differently must be refused before any upstream sees them, or reach it only as the gateway
// decided. Each case checks the 2026 upstream's own record of what it received.
const modes = deployments();
afterAll(async () => {
  await modes.stop();
});

const REVISION = "2026-07-28";
const META = {
  "io.modelcontextprotocol/protocolVersion": REVISION,
  "io.modelcontextprotocol/clientCapabilities": {},
  "io.modelcontextprotocol/clientInfo": { name: "attacker", version: "1.0.0" },
};

async function post(url: string, headers: [string, string][], body: string) {
  const response = await fetch(url, {
    method: "POST",
    headers: [
      ["content-type", "application/json"],
      ["accept", "application/json, text/event-stream"],
      ["mcp-protocol-version", REVISION],
      ...headers,
    ],
    body,
  });
  const text = await response.text();
  const json =
    text.trimStart().startsWith("{") || text.trimStart().startsWith("[")
      ? text
      : (text
          .split("\n")
          .find((line) => line.startsWith("data:"))
          ?.slice(5) ?? "{}");
  return { status: response.status, headers: response.headers, body: JSON.parse(json) as Record<string, unknown> };
}

const call = (id: number, name: string, text = "x") =>
  JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: { text }, _meta: META } });

describe.each(modes.all)("attacks on the 2026-07-28 edge (%s)", (_label, mode) => {
  let upstream: ModernUpstream;
  let stack: GatewayStack;

  beforeAll(async () => {
    upstream = await startModernUpstream({
      tools: [{ name: "echo", inputSchema: { type: "object", properties: { text: { type: "string" } } } }],
    });
    stack = await startGatewayStack(await mode(), { extraServers: [`name: fresh, url: "${upstream.url}"`] });
  });
  afterAll(async () => {
    await stack.stop();
    await upstream.close();
  });

  const seen = (text: string) =>
    upstream.requests.filter(
      (r) => r.method === "tools/call" && (r.params["arguments"] as { text?: string })?.text === text,
    );

  it("refuses two Mcp-Name headers (one matching the body) with -32020 before the upstream", async () => {
    const reply = await post(
      stack.url,
      [
        ["mcp-method", "tools/call"],
        ["mcp-name", "fresh_echo"],
        ["mcp-name", "fresh_other"],
      ],
      call(1, "fresh_echo", "dup-name"),
    );
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ id: 1, error: { code: -32020 } });
    expect(seen("dup-name")).toHaveLength(0);
  });

  it("refuses duplicate JSON keys that make the body name differ from Mcp-Name", async () => {
    const body = `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"fresh_echo","name":"fresh_evil","arguments":{"text":"dup-key"},"_meta":${JSON.stringify(META)}}}`;
    const reply = await post(
      stack.url,
      [
        ["mcp-method", "tools/call"],
        ["mcp-name", "fresh_echo"],
      ],
      body,
    );
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ id: 2, error: { code: -32020 } });
    expect(seen("dup-key")).toHaveLength(0);
  });

  it("refuses a JSON-RPC batch of modern calls (400 -32600) and reaches no upstream", async () => {
    const reply = await post(
      stack.url,
      [
        ["mcp-method", "tools/call"],
        ["mcp-name", "fresh_echo"],
      ],
      `[${call(3, "fresh_echo", "batch")}]`,
    );
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ error: { code: -32600 } });
    expect(seen("batch")).toHaveLength(0);
  });

  it("never forwards a client's mcp-session-id on a modern call, nor relays one back", async () => {
    const reply = await post(
      stack.url,
      [
        ["mcp-method", "tools/call"],
        ["mcp-name", "fresh_echo"],
        ["mcp-session-id", "another-consumers-session"],
      ],
      call(4, "fresh_echo", "session"),
    );
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ id: 4, result: { content: [{ type: "text", text: "echo: session" }] } });
    const [request] = seen("session");
    expect(request?.headers["mcp-session-id"]).toBeUndefined();
    expect(reply.headers.get("mcp-session-id")).toBeNull();
  });

  it.each(["constructor", "__proto__", "hasOwnProperty", "toString"])(
    "answers %s as a modern method or tool name with a JSON-RPC error, never a 500",
    async (name) => {
      const asMethod = JSON.stringify({ jsonrpc: "2.0", id: 5, method: name, params: { _meta: META } });
      const method = await post(stack.url, [["mcp-method", name]], asMethod);
      expect(method.status).toBeLessThan(500);
      expect(method.body).toMatchObject({ id: 5, error: { code: expect.any(Number) as unknown } });
      const tool = await post(
        stack.url,
        [
          ["mcp-method", "tools/call"],
          ["mcp-name", name],
        ],
        call(6, name, "proto"),
      );
      expect(tool.status).toBeLessThan(500);
      expect(tool.body).toMatchObject({ id: 6, error: { code: -32602 } });
      expect(seen("proto")).toHaveLength(0);
    },
  );
});
