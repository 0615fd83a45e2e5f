import type { RunningServer } from "@mcp-gateway/example-kit";
import { startConformanceFixture } from "./fixture-server";
import { runConformance } from "./run-suite";

// What @modelcontextprotocol/conformance 0.1.13 runs by default (`--suite active`): 30 scenarios with 40 checks
// (elicitation-sep1034-defaults and elicitation-sep1330-enums 5 each, server-sse-multiple-streams and
// dns-rebinding-protection 2 each, every other scenario 1). A newer suite may add some; none may fail.
const ACTIVE_SCENARIOS = 30;
const ACTIVE_CHECKS = 40;

describe("conformance fixture against the official MCP conformance suite", () => {
  let fixture: RunningServer;

  beforeAll(async () => {
    fixture = await startConformanceFixture({ port: 0 });
  });

  afterAll(async () => {
    await fixture.close();
  });

  // The active suite takes ~3 s against the fixture; the timeout leaves room for a slow CI machine.
  it("passes every check of every active server scenario, without warnings", async () => {
    const run = await runConformance(fixture.url, { timeoutMs: 90_000 });

    expect({ failed: run.failed, failures: run.failures, warnings: run.warnings }).toEqual({
      failed: 0,
      failures: [],
      warnings: [],
    });
    expect(run.scenarios.length).toBeGreaterThanOrEqual(ACTIVE_SCENARIOS);
    expect(run.passed).toBeGreaterThanOrEqual(ACTIVE_CHECKS);
  }, 120_000);

  // Pending in 0.1.13 (so not in the run above); the fixture serves json_schema_2020_12_tool for it. The other pending
  // scenario, server-sse-polling, needs a test_reconnection tool and SSE resumability, which the fixture does not have.
  it("passes the pending json-schema-2020-12 scenario", async () => {
    const run = await runConformance(fixture.url, { scenario: "json-schema-2020-12", timeoutMs: 60_000 });

    expect({ passed: run.passed, failed: run.failed, warnings: run.warnings }).toEqual({
      passed: 4,
      failed: 0,
      warnings: [],
    });
  }, 90_000);
});
