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

  it("passes every active scenario", async () => {
    const run = await runConformance(stack.url);
    if (run.failed > 0) console.log(run.output);
    expect(run.failures).toEqual([]);
    expect(run.failed).toBe(0);
    expect(run.scenarios.length).toBeGreaterThanOrEqual(30);
  });
});
