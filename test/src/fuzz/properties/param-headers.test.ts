import fc from "fast-check";
import { fuzzCases } from "./param-headers";

// The seeded small run of the Mcp-Param-* header properties inside `npm test`; `npm run fuzz` runs them at scale.
describe("Mcp-Param-* header properties (seeded)", () => {
  it.each(fuzzCases.map((c) => [c.name, c] as const))("%s", async (_name, fuzzCase) => {
    await fc.assert(fuzzCase.property(), { numRuns: 200, seed: 42 });
  });
});
