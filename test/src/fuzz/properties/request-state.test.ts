import fc from "fast-check";
import { fuzzCases } from "./request-state";

// The request-state properties, seeded, inside `npm test` (`npm run fuzz` runs them at >= 10^5 cases).
describe("sealed requestState properties", () => {
  it.each(fuzzCases.map((c) => [c.name, c] as const))("%s", (_name, fuzzCase) => {
    fc.assert(fuzzCase.property(), { numRuns: 200, seed: 42 });
  });
});
