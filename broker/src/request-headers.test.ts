import type { Request } from "express";
import { PROTOTYPE_KEYS } from "@mcp-gateway/core";
import { dropHeader, lowerHeaders } from "./request-headers";

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

describe("lowerHeaders, once per request", () => {
  it("builds the record once and answers the same one on every later call", () => {
    const request = requestWith({ host: "h" });
    const first = lowerHeaders(request);
    (request.headers as Record<string, unknown>)["host"] = "changed";
    expect(lowerHeaders(request)).toBe(first);
    expect(first["host"]).toBe("h");
  });

  it("forgets a header dropped from the request", () => {
    const request = requestWith({ host: "h", "x-hop": "1" });
    lowerHeaders(request);
    dropHeader(request, "x-hop");
    expect(lowerHeaders(request)["x-hop"]).toBeUndefined();
    expect(request.headers["x-hop"]).toBeUndefined();
  });
});
