import { GatewayError, JsonRpcErrorCode, PROTOTYPE_KEYS } from "@mcp-gateway/core";
import { headerMutation, immediateError, readHeaders, setHeader } from "./mutations";

describe("readHeaders", () => {
  it.each([
    [[{ key: "Content-Type", raw_value: Buffer.from("application/json") }], { "content-type": "application/json" }],
    [[{ key: "x-old", value: "from value" }], { "x-old": "from value" }],
    [
      [
        { key: "accept", raw_value: Buffer.from("a") },
        { key: "Accept", raw_value: Buffer.from("b") },
      ],
      { accept: "a, b" },
    ],
    [undefined, {}],
  ])("reads %j", (list, expected) => {
    expect(readHeaders(list)).toEqual(expected);
  });

  // Header names are the client's: one named after an Object.prototype member is an ordinary header.
  it.each(PROTOTYPE_KEYS.map((name) => name.toLowerCase()))("reads a header named %j as sent", (name) => {
    const headers = readHeaders([{ key: name, raw_value: Buffer.from("v") }]);
    expect(Object.entries(headers)).toEqual([[name, "v"]]);
  });

  it("inherits no value for a header the request lacks", () => {
    const headers = readHeaders([{ key: "accept", raw_value: Buffer.from("a") }]);
    for (const name of PROTOTYPE_KEYS) expect(headers[name]).toBeUndefined();
  });
});

describe("header mutations", () => {
  it("writes raw_value only and overwrites (append false)", () => {
    expect(setHeader("x-destination-mcp", "weather")).toEqual({
      header: { key: "x-destination-mcp", raw_value: Buffer.from("weather") },
      append: { value: false },
    });
  });

  it("omits an empty mutation", () => {
    expect(headerMutation({}, [])).toBeUndefined();
  });

  it("carries removals", () => {
    expect(headerMutation({}, ["x-mcp-tool"])).toEqual({ remove_headers: ["x-mcp-tool"] });
  });
});

describe("immediateError", () => {
  it("answers with the HTTP status, a JSON content type and the JSON-RPC error with the request id", () => {
    const answer = immediateError(
      new GatewayError(JsonRpcErrorCode.SessionNotFound, "session not found", { httpStatus: 404, id: 12 }),
    );
    if (!("immediate_response" in answer)) throw new Error("expected an immediate response");
    expect(answer.immediate_response.status).toEqual({ code: 404 });
    expect(answer.immediate_response.headers?.set_headers?.[0]?.header.key).toBe("content-type");
    expect(JSON.parse(answer.immediate_response.body?.toString() ?? "")).toEqual({
      jsonrpc: "2.0",
      id: 12,
      error: { code: -31002, message: "session not found" },
    });
  });
});
