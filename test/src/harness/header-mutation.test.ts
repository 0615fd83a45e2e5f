import { HeaderMap } from "./header-map";
import { DEFAULT_MUTATION_RULES, applyHeaderMutation, type MutationRules } from "./header-mutation";
import type { HeaderValueOption } from "./ext-proc-messages";

const routing: MutationRules = { ...DEFAULT_MUTATION_RULES, allowAllRouting: true };

function requestHeaders(): HeaderMap {
  return new HeaderMap([
    [":method", "POST"],
    [":path", "/mcp"],
    [":authority", "gw"],
    ["x-a", "1"],
    ["x-a", "2"],
  ]);
}

function set(key: string, raw?: string, value?: string, append?: boolean): HeaderValueOption {
  return {
    header: { key, ...(raw !== undefined && { raw_value: Buffer.from(raw) }), ...(value !== undefined && { value }) },
    ...(append !== undefined && { append: { value: append } }),
  };
}

describe("applyHeaderMutation", () => {
  it.each<[string, HeaderValueOption, string[]]>([
    ["raw_value overwrites every value", set("x-a", "3"), ["3"]],
    ["value alone yields an empty header", set("x-a", undefined, "ignored"), [""]],
    ["append adds a value", set("x-a", "3", undefined, true), ["1", "2", "3"]],
    ["append: false overwrites", set("x-a", "3", undefined, false), ["3"]],
    ["upper-case keys are lower-cased", set("X-A", "9"), ["9"]],
  ])("%s", (_name, option, expected) => {
    const headers = requestHeaders();
    expect(applyHeaderMutation(headers, { set_headers: [option] }, routing)).toBeUndefined();
    expect(headers.getAll("x-a")).toEqual(expected);
  });

  it("fails when both value and raw_value are set", () => {
    const error = applyHeaderMutation(requestHeaders(), { set_headers: [set("x-a", "3", "3")] }, routing);
    expect(error).toBe("Only one of value or raw_value in the HeaderValue message should be set.");
  });

  it("fails on a CR/LF in a value", () => {
    const error = applyHeaderMutation(requestHeaders(), { set_headers: [set("x-a", "a\r\nb")] }, routing);
    expect(error).toBe("Invalid character in set_headers mutation.");
  });

  it.each<[string, MutationRules, string, boolean]>([
    [":path is always settable", DEFAULT_MUTATION_RULES, ":path", true],
    [":authority needs allow_all_routing", DEFAULT_MUTATION_RULES, ":authority", false],
    [":authority with allow_all_routing", routing, ":authority", true],
    [":method with allow_all_routing", routing, ":method", true],
    ["x-envoy-* needs allow_envoy", routing, "x-envoy-foo", false],
    ["disallow_system blocks pseudo-headers", { ...routing, disallowSystem: true }, ":path", false],
  ])("%s", (_name, rules, key, applied) => {
    const headers = requestHeaders();
    expect(applyHeaderMutation(headers, { set_headers: [set(key, "new.example")] }, rules)).toBeUndefined();
    expect(headers.get(key) === "new.example").toBe(applied);
  });

  it("fails a disallowed mutation when disallow_is_error", () => {
    const rules = { ...DEFAULT_MUTATION_RULES, disallowIsError: true };
    expect(applyHeaderMutation(requestHeaders(), { set_headers: [set(":authority", "x")] }, rules)).toBe(
      "Invalid attempt to modify :authority",
    );
  });

  it("removes headers but never pseudo-headers or host", () => {
    const headers = requestHeaders();
    expect(applyHeaderMutation(headers, { remove_headers: ["x-a", ":path", "host"] }, routing)).toBeUndefined();
    expect(headers.list()).toEqual([
      [":method", "POST"],
      [":path", "/mcp"],
      [":authority", "gw"],
    ]);
  });

  it("applies removals before sets", () => {
    const headers = requestHeaders();
    applyHeaderMutation(headers, { remove_headers: ["x-b"], set_headers: [set("x-b", "kept")] }, routing);
    expect(headers.get("x-b")).toBe("kept");
  });

  it("keeps pseudo-headers ahead of regular headers when adding one", () => {
    const headers = new HeaderMap([["x-a", "1"]]);
    applyHeaderMutation(headers, { set_headers: [set(":status", "201")] }, routing);
    expect(headers.list()[0]).toEqual([":status", "201"]);
  });

  it("rejects a :status below 200", () => {
    const headers = new HeaderMap([[":status", "200"]]);
    applyHeaderMutation(headers, { set_headers: [set(":status", "100")] }, routing);
    expect(headers.get(":status")).toBe("200");
  });
});
