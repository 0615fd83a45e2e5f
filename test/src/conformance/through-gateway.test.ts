import type { RunningServer } from "@mcp-gateway/example-kit";
import { startGatewayStack, type GatewayStack, type StackMode } from "../e2e/gateway-stack";
import { startConformanceFixture } from "./fixture-server";
import { runConformance } from "./run-suite";

jest.setTimeout(180_000);

// The suite names tools, prompts and resources literally, so the fixture is mounted with an empty prefix, next to
// the prefixed example servers. Behind Envoy (Envoy mode) the gateway cannot know Envoy's public name, so the
// allowed hosts are configured, as an operator would.
const modes: [string, StackMode, string][] = [
  ["standalone", { kind: "standalone" }, "{}"],
  [
    "Envoy mode (router behind a real Envoy)",
    { kind: "envoy", store: "memory" },
    '{ allowedHosts: ["127.0.0.1", "localhost"] }',
  ],
];

describe.each(modes)("official MCP conformance suite through the gateway, %s", (_label, mode, security) => {
  let fixture: RunningServer;
  let stack: GatewayStack;

  beforeAll(async () => {
    fixture = await startConformanceFixture({ port: 0 });
    stack = await startGatewayStack(mode, {
      extraServers: [`name: conformance, url: "${fixture.url}", prefix: ""`],
      security,
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await fixture?.close();
  });

  // The 2025 fixture at 2025-11-25; the 2026-07-28 runs and the 2026 fixture are in `npm run conformance`.
  it("passes every scenario 2025-11-25 requires", async () => {
    const run = await runConformance(stack.url, { requirements: "2025-11-25" });
    if (run.failed > 0) console.log(run.output);
    expect(run.failures).toEqual([]);
    expect(run.failed).toBe(0);
    expect(run.scenarios).toHaveLength(30);
  });
});
