import fc from "fast-check";
import { fuzzCases } from "./resource-uris";

// The seeded small run of the resource-URI properties inside `npm test`; `npm run fuzz` runs them at scale.
describe("resource URI properties (seeded)", () => {
  it.each(fuzzCases.map((c) => [c.name, c] as const))("%s", (_name, fuzzCase) => {
    fc.assert(fuzzCase.property(), { numRuns: 2_000, seed: 42 });
  });
});
