import { exceedsJsonDepth } from "./json-depth";
import { parseJsonRpc } from "./message";
import { GatewayError } from "../errors";

/** `[[[…]]]` or `{"a":{"a":…}}` nested `levels` deep, as JSON text (built without recursion). */
function deepJson(levels: number, kind: "array" | "object"): string {
  return kind === "array" ? "[".repeat(levels) + "]".repeat(levels) : '{"a":'.repeat(levels) + "1" + "}".repeat(levels);
}

describe("exceedsJsonDepth", () => {
  it.each([
    [1, 1, false],
    [2, 1, true],
    [64, 64, false],
    [65, 64, true],
  ])("says whether %i levels exceed a limit of %i (%s)", (levels, limit, expected) => {
    for (const kind of ["array", "object"] as const) {
      expect(exceedsJsonDepth(JSON.parse(deepJson(levels, kind)), limit)).toBe(expected);
    }
  });

  it("answers for scalars without walking", () => {
    expect(exceedsJsonDepth("text", 0)).toBe(false);
    expect(exceedsJsonDepth(null, 0)).toBe(false);
  });

  it("walks 10^5 levels without overflowing the stack", () => {
    const deep: unknown = JSON.parse(deepJson(100_000, "array"));
    expect(exceedsJsonDepth(deep, 100_000)).toBe(false);
    expect(exceedsJsonDepth(deep, 99_999)).toBe(true);
  });

  it("counts the deepest branch, not the first one", () => {
    expect(exceedsJsonDepth({ a: 1, b: [1, { c: [[]] }] }, 4)).toBe(true);
    expect(exceedsJsonDepth({ a: 1, b: [1, { c: [[]] }] }, 5)).toBe(false);
  });
});

describe("parseJsonRpc depth cap", () => {
  const call = (args: string): string =>
    `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"t","arguments":${args}}}`;

  it("refuses arguments nested 10^5 deep with -32600, HTTP 400, the request id and the limit", () => {
    let error: unknown;
    try {
      parseJsonRpc(call(deepJson(100_000, "object")), 64);
    } catch (caught: unknown) {
      error = caught;
    }
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ code: -32600, httpStatus: 400, id: 7 });
    expect((error as GatewayError).message).toContain("nested deeper than 64 levels (limits.maxJsonDepth)");
  });

  it("accepts a message exactly at the limit (the message itself is level 1)", () => {
    // message → params → arguments: three levels before the arguments' own nesting.
    expect(parseJsonRpc(call(deepJson(62, "array")), 64).kind).toBe("request");
    expect(() => parseJsonRpc(call(deepJson(63, "array")), 64)).toThrow(/nested deeper than 64/);
  });
});
