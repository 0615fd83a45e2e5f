import { GatewayError, JsonRpcErrorCode } from "./errors";

describe("GatewayError", () => {
  it("renders a JSON-RPC error response with the request id", () => {
    const error = new GatewayError(JsonRpcErrorCode.InvalidParams, "unknown tool: x", { id: 7, httpStatus: 200 });
    expect(error.toJsonRpc()).toEqual({ jsonrpc: "2.0", id: 7, error: { code: -32602, message: "unknown tool: x" } });
  });

  it("wraps unknown throwables as internal errors with status 500 and keeps the cause", () => {
    const cause = new Error("boom");
    const error = GatewayError.from(cause, "a");
    expect(error).toMatchObject({ code: JsonRpcErrorCode.InternalError, httpStatus: 500, id: "a", cause });
    expect(error.message).toBe("internal error: boom");
  });

  it("re-targets an existing GatewayError to a new id without losing its code", () => {
    const error = GatewayError.from(new GatewayError(JsonRpcErrorCode.ParseError, "bad json", { httpStatus: 400 }), 3);
    expect(error).toMatchObject({ code: JsonRpcErrorCode.ParseError, httpStatus: 400, id: 3 });
  });
});
