// Runs under jest (ts-jest, CommonJS) like the other workspaces' tests; Vite never bundles it (nothing imports it).
import { tailQuery } from "./audit-tail-query";

describe("the audit tail's query", () => {
  it.each([
    [{ consumer: "", server: "", decision: "" }, ""],
    [{ consumer: " carol ", server: "", decision: "denied" }, "?consumer=carol&decision=denied"],
    [{ consumer: "a&b=c", server: "w x", decision: "" }, "?consumer=a%26b%3Dc&server=w+x"],
  ])("%j gives %s (empty filters left out, values encoded)", (filter, query) => {
    expect(tailQuery(filter)).toBe(query);
  });
});
