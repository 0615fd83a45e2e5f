import { parseSelection, planRuns, runLabel } from "./conformance-plan";

describe("parseSelection", () => {
  it("selects everything by default", () => {
    expect(parseSelection([], {})).toEqual({
      fixtures: ["2025", "2026"],
      revisions: ["2025-11-25", "2026-07-28"],
      modes: ["direct", "standalone", "envoy"],
    });
  });

  it.each([
    [["--fixture", "2026", "--mode=envoy"], {}, { fixtures: ["2026"], modes: ["envoy"] }],
    [[], { CONFORMANCE_REVISION: "2026-07-28", CONFORMANCE_MODE: "standalone,direct" }, { revisions: ["2026-07-28"] }],
    [["--revision", "2025-11-25"], { CONFORMANCE_REVISION: "2026-07-28" }, { revisions: ["2025-11-25"] }],
  ])("reads argv %j and env %j", (argv, env, expected) => {
    expect(parseSelection(argv, env)).toMatchObject(expected);
  });

  it.each([
    [["--fixture", "2024"], /fixture: unknown 2024/],
    [["--mode"], /--mode needs a value/],
    [["--modes", "envoy"], /unknown option/],
  ])("refuses %j", (argv, message) => {
    expect(() => parseSelection(argv, {})).toThrow(message);
  });
});

describe("planRuns", () => {
  it("runs each fixture directly at its own revision and through each gateway mode at both", () => {
    const runs = planRuns(parseSelection([], {})).map(runLabel);
    expect(runs).toHaveLength(10);
    expect(runs.slice(0, 2)).toEqual([
      "2025 fixture directly, --requirements 2025-11-25",
      "2026 fixture directly, --requirements 2026-07-28",
    ]);
    expect(runs).toContain("2025 fixture through Envoy mode, --requirements 2026-07-28");
  });

  it("plans nothing for a direct run at the other generation's revision", () => {
    expect(planRuns({ fixtures: ["2026"], revisions: ["2025-11-25"], modes: ["direct"] })).toEqual([]);
  });
});
