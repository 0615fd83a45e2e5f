import { GatewayError, JsonRpcErrorCode, logUnexpected } from "./errors";

describe("GatewayError", () => {
  it("renders a JSON-RPC error response with the request id", () => {
    const error = new GatewayError(JsonRpcErrorCode.InvalidParams, "unknown tool: x", { id: 7, httpStatus: 200 });
    expect(error.toJsonRpc()).toEqual({ jsonrpc: "2.0", id: 7, error: { code: -32602, message: "unknown tool: x" } });
  });

  it("wraps unknown throwables as internal errors with status 500 and keeps the cause", () => {
    const cause = new Error("boom");
    const error = GatewayError.from(cause, "a");
    expect(error).toMatchObject({ code: JsonRpcErrorCode.InternalError, httpStatus: 500, id: "a", cause });
    expect(error.message).toMatch(/^internal error \(ref [0-9a-f]{12}\)$/);
    expect(error.message).not.toContain("boom");
    expect(error.toJsonRpc().error.data).toEqual({ ref: error.unexpectedRef });
  });

  it("logs an unexpected error's cause with the reference its client got, and nothing for a known error", () => {
    const lines: Record<string, unknown>[] = [];
    const logger = { error: (message: string, fields?: Record<string, unknown>) => lines.push({ message, ...fields }) };
    const unexpected = GatewayError.from(new Error("connect ECONNREFUSED 10.0.0.7:5432"), 1);
    logUnexpected(logger, unexpected, { phase: "decide" });
    logUnexpected(logger, GatewayError.from(new GatewayError(JsonRpcErrorCode.InvalidParams, "unknown tool: x")));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ message: "internal error", phase: "decide", ref: unexpected.unexpectedRef });
    expect(JSON.stringify(unexpected.toJsonRpc())).not.toContain("10.0.0.7");
  });

  it("re-targets an existing GatewayError to a new id without losing its code", () => {
    const error = GatewayError.from(new GatewayError(JsonRpcErrorCode.ParseError, "bad json", { httpStatus: 400 }), 3);
    expect(error).toMatchObject({ code: JsonRpcErrorCode.ParseError, httpStatus: 400, id: 3 });
  });
});
