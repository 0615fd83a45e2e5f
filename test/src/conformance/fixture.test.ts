import type { RunningServer } from "@mcp-gateway/example-kit";
import { startConformanceFixture } from "./fixture-server";
import { runConformance } from "./run-suite";

// What @modelcontextprotocol/conformance 0.2.0-alpha.12 requires for 2025-11-25: 30 scored server scenarios, plus 3
// run for visibility (server-session-lifecycle, json-schema-2020-12, server-sse-polling). None may fail.
const SCORED_SCENARIOS = 30;

describe("SDK v1 conformance fixture against the official suite, --requirements 2025-11-25", () => {
  let fixture: RunningServer;

  beforeAll(async () => {
    fixture = await startConformanceFixture({ port: 0 });
  });

  afterAll(async () => {
    await fixture.close();
  });

  // The set takes ~1.5 s against the fixture; the timeout leaves room for a slow CI machine.
  // The only warnings come from the pending server-sse-polling scenario: the fixture has no SSE resumability
  // (no priming event, no retry field), which 2025-11-25 does not require.
  it("passes every scored and not-scored scenario, warning only on SSE polling", async () => {
    const run = await runConformance(fixture.url, { requirements: "2025-11-25", timeoutMs: 90_000 });

    expect({ failed: run.failed, failures: run.failures, warnings: run.warnings, exit: run.exitCode }).toEqual({
      failed: 0,
      failures: [],
      warnings: ["server-sse-polling: server-sse-priming-event", "server-sse-polling: server-sse-retry-field"],
      exit: 0,
    });
    expect(run.scenarios).toHaveLength(SCORED_SCENARIOS);
    expect(run.notScored.filter((outcome) => outcome.failed > 0)).toEqual([]);
    expect(run.notScored.map((outcome) => outcome.scenario)).toEqual(
      expect.arrayContaining(["json-schema-2020-12", "server-session-lifecycle"]),
    );
  }, 120_000);
});
