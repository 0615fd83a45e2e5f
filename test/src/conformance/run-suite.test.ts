import { parseConformanceOutput, runConformance } from "./run-suite";

const SUITE_OUTPUT = `Running active suite (3 scenarios) against http://127.0.0.1:1/mcp

=== SUMMARY ===
✓ server-initialize: 1 passed, 0 failed
✗ tools-call-sampling: 0 passed, 1 failed
✓ elicitation-sep1034-defaults: 5 passed, 0 failed

Total: 6 passed, 1 failed
`;

const SCENARIO_OUTPUT = `Checks:
...
Test Results:
Passed: 4/5, 1 failed, 0 warnings
`;

describe("parseConformanceOutput", () => {
  it.each([
    [
      "a suite summary",
      SUITE_OUTPUT,
      undefined,
      {
        passed: 6,
        failed: 1,
        scenarios: ["server-initialize", "tools-call-sampling", "elicitation-sep1034-defaults"],
        failures: ["tools-call-sampling"],
      },
    ],
    [
      "a clean suite summary",
      "✓ ping: 1 passed, 0 failed\n\nTotal: 1 passed, 0 failed\n",
      undefined,
      { passed: 1, failed: 0, scenarios: ["ping"], failures: [] },
    ],
    [
      "a single scenario",
      SCENARIO_OUTPUT,
      "elicitation-sep1330-enums",
      { passed: 4, failed: 1, scenarios: ["elicitation-sep1330-enums"], failures: ["elicitation-sep1330-enums"] },
    ],
  ])("reads %s", (_name, output, scenario, expected) => {
    expect(parseConformanceOutput(output, scenario)).toEqual(expected);
  });

  it.each([
    ["no Total line", "Server test error: boom\n", undefined],
    ["no Passed line", "Validation error:\n", "ping"],
  ])("throws when the output has %s", (_name, output, scenario) => {
    expect(() => parseConformanceOutput(output, scenario)).toThrow(/printed no/);
  });
});

describe("runConformance", () => {
  it("refuses a non-loopback URL before starting anything", async () => {
    await expect(runConformance("http://example.com/mcp")).rejects.toThrow("not a loopback URL");
  });
});
