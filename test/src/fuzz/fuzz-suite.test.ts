import fc from "fast-check";
import { discoveredCases, loadFuzzModules, runsFor } from "./discover";

// The seeded small run of the whole fuzz suite inside `npm test` (`npm run fuzz` runs the same cases at >= 10^5).
const SEED = 42;
const RUNS = 300;

const cases = discoveredCases(loadFuzzModules((file) => jest.requireActual<object>(file)));

describe("fuzz suite (seeded)", () => {
  it("discovers the property modules in the properties folder", () => {
    const modules = new Set(cases.map((c) => c.module));
    for (const name of ["jsonrpc", "routing", "name-policy", "sse-rewriter", "redactor"])
      expect(modules).toContain(name);
  });

  for (const entry of cases) {
    const run = async (): Promise<void> => {
      await fc.assert(entry.fuzzCase.property(), { numRuns: runsFor(entry.fuzzCase, RUNS), seed: SEED });
    };
    it(entry.id, run, 60_000);
  }
});
