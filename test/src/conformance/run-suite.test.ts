import { notScoredScenarios, parseScenarioOutcomes, runConformance, scoreOutcomes } from "./run-suite";

const SUITE_OUTPUT = `Running requirements 2026-07-28 (3 scenarios) against http://127.0.0.1:1/mcp

=== SUMMARY ===
✓ server-stateless: 30 passed, 0 failed
✗ caching: 6 passed, 2 failed
✗ tasks-lifecycle: 1 passed, 8 failed
✓ http-header-validation: 14 passed, 0 failed

Total: 51 passed, 10 failed
`;

describe("parseScenarioOutcomes", () => {
  it("reads every scenario's passed and failed checks", () => {
    expect(parseScenarioOutcomes(SUITE_OUTPUT)).toEqual([
      { scenario: "server-stateless", passed: 30, failed: 0 },
      { scenario: "caching", passed: 6, failed: 2 },
      { scenario: "tasks-lifecycle", passed: 1, failed: 8 },
      { scenario: "http-header-validation", passed: 14, failed: 0 },
    ]);
  });

  it("throws when the suite printed no Total line", () => {
    expect(() => parseScenarioOutcomes("Server test error: boom\n")).toThrow(/printed no "Total:"/);
  });
});

describe("scoreOutcomes", () => {
  it("counts scored scenarios only and lists the not-scored ones with their reason", () => {
    const unscored = new Map([
      ["tasks-lifecycle", "extension"],
      ["http-header-validation", "pending"],
    ]);
    expect(scoreOutcomes(parseScenarioOutcomes(SUITE_OUTPUT), unscored)).toEqual({
      passed: 36,
      failed: 2,
      scenarios: ["server-stateless", "caching"],
      failures: ["caching"],
      notScored: [
        { scenario: "tasks-lifecycle", passed: 1, failed: 8, reason: "extension" },
        { scenario: "http-header-validation", passed: 14, failed: 0, reason: "pending" },
      ],
    });
  });
});

describe("notScoredScenarios", () => {
  it.each([
    ["2025-11-25", "server-sse-polling", "pending"],
    ["2026-07-28", "tasks-lifecycle", "extension"],
    ["2026-07-28", "http-header-validation", "pending"],
  ] as const)("reads %s's server leg from the installed suite: %s is %s", async (revision, scenario, reason) => {
    expect((await notScoredScenarios(revision)).get(scenario)).toBe(reason);
  });

  it("leaves out client-leg entries", async () => {
    expect((await notScoredScenarios("2026-07-28")).has("auth/dpop")).toBe(false);
  });
});

describe("runConformance", () => {
  it("refuses a non-loopback URL before starting anything", async () => {
    await expect(runConformance("http://example.com/mcp", { requirements: "2025-11-25" })).rejects.toThrow(
      "not a loopback URL",
    );
  });
});
