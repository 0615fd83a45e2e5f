import fc from "fast-check";
import { fuzzCases } from "./reply-redaction";

describe("reply redaction against the real MCP SDK client (seeded fuzz)", () => {
  it.each(fuzzCases.map((c) => [c.name, c] as const))("%s", async (_name, fuzzCase) => {
    await fc.assert(fuzzCase.property(), { numRuns: 200, seed: 42 });
  });
});
