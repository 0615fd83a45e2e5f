import { startModernUpstream, type ModernUpstream } from "../support/modern-upstream";
import { startGatewayStack, type GatewayStack } from "./gateway-stack";

jest.setTimeout(60_000);

const META = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientCapabilities": {},
};

async function list(url: string, method: string): Promise<Record<string, unknown>> {
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": "2026-07-28",
      "mcp-method": method,
    },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params: { _meta: META } }),
  });
  const body = (await response.json()) as { result: Record<string, unknown> };
  return body.result;
}

// A modern client's aggregated list carries the smallest TTL of the upstreams behind it (and of health.interval,
// 300 ms in the stack, for 2025 upstreams whose lists carry none) and is private when any upstream said private.
describe("cache hints of aggregated lists for a 2026-07-28 client (standalone)", () => {
  let quick: ModernUpstream;
  let personal: ModernUpstream;
  let stack: GatewayStack;

  beforeAll(async () => {
    quick = await startModernUpstream({ name: "quick", ttlMs: 120, cacheScope: "public" });
    personal = await startModernUpstream({ name: "personal", ttlMs: 5_000, cacheScope: "private" });
    stack = await startGatewayStack(
      { kind: "standalone" },
      {
        extraServers: [
          `name: quick, url: "${quick.url}", prefix: quick_`,
          `name: personal, url: "${personal.url}", prefix: personal_`,
        ],
      },
    );
  });
  afterAll(async () => {
    await stack?.stop();
    await quick?.close();
    await personal?.close();
  });

  it("takes the smallest upstream TTL and is private when one upstream said private", async () => {
    const tools = await list(stack.url, "tools/list");
    expect((tools["tools"] as { name: string }[]).map((t) => t.name)).toEqual(
      expect.arrayContaining(["quick_echo", "personal_echo"]),
    );
    expect(tools).toMatchObject({ ttlMs: 120, cacheScope: "private" });
  });

  it("falls back to health.interval and public for a list only 2025 upstreams contribute to (auth: none)", async () => {
    expect(await list(stack.url, "prompts/list")).toMatchObject({ ttlMs: 300, cacheScope: "public" });
  });
});
