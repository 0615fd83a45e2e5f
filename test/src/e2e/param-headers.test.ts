import type { RunningServer } from "@mcp-gateway/example-kit";
import { deployments } from "./stack-modes";
import { startGatewayStack, type GatewayStack } from "./gateway-stack";
import { startConformanceFixture } from "../conformance/fixture-server";
import { X_MCP_HEADER_INPUT } from "../conformance/fixture-bridged-tools";
import { startHeaderSpy, type HeaderSpy } from "../support/header-spy";
import { startModernUpstream, type ModernUpstream } from "../support/modern-upstream";

jest.setTimeout(90_000);

// SEP-2243 through the gateway, in every deployment: a 2026-07-28 client's `Mcp-Param-*` headers are checked against
// the body for a tool whose definition carries `x-mcp-header` annotations. A 2025 upstream cannot check them (it
// never sees them: the call bridge re-sends the call on a backend session), so the gateway must; a 2026 upstream
// gets them as sent, unknown ones included, and would check them again.
const modes = deployments();
afterAll(async () => {
  await modes.stop();
});

const REVISION = "2026-07-28";
const META = {
  "io.modelcontextprotocol/protocolVersion": REVISION,
  "io.modelcontextprotocol/clientCapabilities": {},
  "io.modelcontextprotocol/clientInfo": { name: "raw-modern", version: "1.0.0" },
};
const base64 = (text: string): string => `=?base64?${Buffer.from(text, "utf8").toString("base64")}?=`;

interface Reply {
  status: number;
  body: Record<string, unknown>;
}

async function callTool(url: string, id: number, name: string, args: object, extra: object): Promise<Reply> {
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": REVISION,
      "mcp-method": "tools/call",
      "mcp-name": name,
      ...extra,
    },
    body: JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args, _meta: META } }),
  });
  const text = await response.text();
  const json = text.trimStart().startsWith("{")
    ? text
    : (text
        .split("\n")
        .find((line) => line.startsWith("data:"))
        ?.slice(5) ?? "{}");
  return { status: response.status, body: JSON.parse(json) as Record<string, unknown> };
}

describe.each(modes.all)("Mcp-Param-* headers of a 2026 client (%s)", (_label, mode) => {
  let fixture: RunningServer;
  let spy: HeaderSpy;
  let upstream: ModernUpstream;
  let stack: GatewayStack;

  beforeAll(async () => {
    fixture = await startConformanceFixture({ port: 0 });
    spy = await startHeaderSpy(fixture.url);
    upstream = await startModernUpstream({ tools: [{ name: "echo", inputSchema: X_MCP_HEADER_INPUT }] });
    stack = await startGatewayStack(await mode(), {
      extraServers: [`name: old, url: "${spy.url}", prefix: old_`, `name: fresh, url: "${upstream.url}"`],
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await upstream?.close();
    await spy?.close();
    await fixture?.close();
  });

  const oldTool = "old_test_x_mcp_header";

  it("admits a 2025 upstream's tool call whose base64 Mcp-Param header decodes to the body's value", async () => {
    const reply = await callTool(stack.url, 1, oldTool, { region: "Hello" }, { "mcp-param-region": base64("Hello") });
    expect(reply).toMatchObject({ status: 200, body: { id: 1, result: { content: [{ text: "region=Hello" }] } } });
  });

  it.each([
    ["bad base64 padding", { "mcp-param-region": "=?base64?SGVsbG8?=" }],
    ["bad base64 characters", { "mcp-param-region": "=?base64?SGVs!!!bG8=?=" }],
    ["a missing header while the body carries the value", {}],
    ["a header that disagrees with the body", { "mcp-param-region": "Goodbye" }],
  ])("refuses a 2025 upstream's tool call with %s: 400, -32020, the request id", async (_name, headers) => {
    const reply = await callTool(stack.url, 2, oldTool, { region: "Hello" }, headers);
    expect(reply).toMatchObject({ status: 400, body: { jsonrpc: "2.0", id: 2, error: { code: -32020 } } });
  });

  it("never sends Mcp-Param-* headers to the 2025 upstream (the gateway terminates the 2026 exchange)", async () => {
    const reply = await callTool(
      stack.url,
      3,
      oldTool,
      { region: "eu" },
      { "mcp-param-region": "eu", "mcp-param-trace": "t-1" },
    );
    expect(reply.status).toBe(200);
    expect(spy.requests.length).toBeGreaterThan(0);
    const sent = spy.requests.flatMap((request) => Object.keys(request.headers));
    expect(sent.filter((name) => name.startsWith("mcp-param-"))).toEqual([]);
  });

  it("forwards a 2026 upstream's Mcp-Param headers as sent, an unknown one included", async () => {
    const reply = await callTool(
      stack.url,
      4,
      "fresh_echo",
      { region: "Köln" },
      { "mcp-param-region": base64("Köln"), "mcp-param-trace": "t-2" },
    );
    expect(reply.status).toBe(200);
    const seen = upstream.requests.find((request) => request.method === "tools/call");
    expect(seen?.headers).toMatchObject({ "mcp-param-region": base64("Köln"), "mcp-param-trace": "t-2" });
  });

  it("refuses a 2026 upstream's tool call with a mismatched Mcp-Param header before the upstream sees it", async () => {
    const calls = (): number => upstream.requests.filter((request) => request.method === "tools/call").length;
    const before = calls();
    const reply = await callTool(stack.url, 5, "fresh_echo", { region: "Köln" }, { "mcp-param-region": "Bonn" });
    expect(reply).toMatchObject({ status: 400, body: { id: 5, error: { code: -32020 } } });
    expect(calls()).toBe(before);
  });
});
