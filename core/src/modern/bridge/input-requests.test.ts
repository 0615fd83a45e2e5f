import { namedKey, type PendingInput } from "./input-requests";

const pending = (...keys: string[]): Map<string, PendingInput> =>
  new Map(keys.map((key) => [key, { key, upstreamId: key, method: "roots/list", params: {} }]));

describe("namedKey: a 2025 upstream's string request id as the input key", () => {
  it.each([
    ["user_name", "user_name"],
    ["confirm.v2", "confirm.v2"],
    ["a", "a"],
  ])("uses %j", (id, key) => {
    expect(namedKey(id, pending())).toBe(key);
  });

  it.each<[string | number, string]>([
    [7, "numeric ids"],
    ["", "empty ids"],
    ["1abc", "ids not starting with a letter"],
    ["user name", "whitespace"],
    ["__proto__", "ids starting with an underscore"],
    ["x".repeat(65), "ids over 64 characters"],
    ["elicitation-2", "the shape of generated keys"],
    ["roots-10", "the shape of generated keys"],
  ])("refuses %j (%s)", (id, _why) => {
    expect(namedKey(id, pending())).toBeUndefined();
  });

  it("refuses an id already pending under that key", () => {
    expect(namedKey("user_name", pending("user_name"))).toBeUndefined();
  });
});
