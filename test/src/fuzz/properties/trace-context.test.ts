import fc from "fast-check";
import { fuzzCases } from "./trace-context";

// The seeded small run of the trace-context properties inside `npm test`; `npm run fuzz` runs them at scale.
describe("trace context properties (seeded)", () => {
  it.each(fuzzCases.map((c) => [c.name, c] as const))("%s", (_name, fuzzCase) => {
    fc.assert(fuzzCase.property(), { numRuns: 200, seed: 42 });
  });
});
