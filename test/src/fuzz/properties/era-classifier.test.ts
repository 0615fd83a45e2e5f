import fc from "fast-check";
import { fuzzCases } from "./era-classifier";

// The seeded small run of the era classifier properties inside `npm test`; `npm run fuzz` runs them at scale.
describe("era classifier properties (seeded)", () => {
  it.each(fuzzCases.map((c) => [c.name, c] as const))("%s", async (_name, fuzzCase) => {
    await fc.assert(fuzzCase.property(), { numRuns: 200, seed: 42 });
  });
});
