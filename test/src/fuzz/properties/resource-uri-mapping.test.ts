import fc from "fast-check";
import { fuzzCases } from "./resource-uri-mapping";

// The seeded small run of the resource-URI mapping properties inside `npm test`; `npm run fuzz` runs them at scale.
describe("resource URI mapping properties (seeded)", () => {
  it.each(fuzzCases.map((c) => [c.name, c] as const))("%s", (_name, fuzzCase) => {
    fc.assert(fuzzCase.property(), { numRuns: 200, seed: 42 });
  });
});
