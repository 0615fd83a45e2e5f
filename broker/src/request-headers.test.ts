import type { Request } from "express";
import { PROTOTYPE_KEYS } from "@mcp-gateway/core";
import { lowerHeaders } from "./request-headers";

const requestWith = (headers: Record<string, unknown>): Request => ({ headers }) as unknown as Request;

describe("lowerHeaders", () => {
  it("joins repeated headers and drops absent values", () => {
    expect(lowerHeaders(requestWith({ accept: ["a", "b"], host: "h", gone: undefined }))).toEqual({
      accept: "a, b",
      host: "h",
    });
  });

  // Node never hands over `__proto__`, but other runtimes and parsers may: it stays an ordinary header.
  it("keeps headers named after Object.prototype members as own values", () => {
    const parsed = JSON.parse('{"__proto__": "p", "constructor": "c", "hasownproperty": "h"}') as Record<
      string,
      unknown
    >;
    const headers = lowerHeaders(requestWith(parsed));
    expect(Object.entries(headers)).toEqual([
      ["__proto__", "p"],
      ["constructor", "c"],
      ["hasownproperty", "h"],
    ]);
  });

  it.each(PROTOTYPE_KEYS)("inherits no value under %j", (name) => {
    expect(lowerHeaders(requestWith({ accept: "*/*" }))[name]).toBeUndefined();
  });
});
