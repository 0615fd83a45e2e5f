import { GatewayError, JsonRpcErrorCode } from "../errors";
import { parseJsonRpc } from "./message";

function errorOf(body: string): GatewayError {
  try {
    parseJsonRpc(body);
  } catch (error: unknown) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error("expected a GatewayError");
}

describe("parseJsonRpc", () => {
  it.each([
    [
      '{"jsonrpc":"2.0","id":1,"method":"tools/list"}',
      { kind: "request", id: 1, method: "tools/list", params: undefined },
    ],
    [
      '{"jsonrpc":"2.0","id":"a","method":"tools/call","params":{"name":"x"}}',
      { kind: "request", id: "a", params: { name: "x" } },
    ],
    [
      '{"jsonrpc":"2.0","method":"notifications/initialized"}',
      { kind: "notification", method: "notifications/initialized" },
    ],
    ['{"jsonrpc":"2.0","id":5,"result":{}}', { kind: "response", id: 5 }],
    ['{"jsonrpc":"2.0","id":5,"error":{"code":1,"message":"no"}}', { kind: "response", id: 5 }],
  ])("accepts %s", (body, expected) => {
    expect(parseJsonRpc(body)).toMatchObject(expected);
  });

  it.each([
    ["{not json", JsonRpcErrorCode.ParseError, "parse error: body is not valid JSON", null],
    [
      '[{"jsonrpc":"2.0","id":1,"method":"ping"}]',
      JsonRpcErrorCode.InvalidRequest,
      "batch arrays are not supported",
      null,
    ],
    ['"text"', JsonRpcErrorCode.InvalidRequest, "expected a JSON object", null],
    ['{"id":1,"method":"ping"}', JsonRpcErrorCode.InvalidRequest, '"jsonrpc" must be "2.0"', 1],
    ['{"jsonrpc":"2.0","id":2,"method":7}', JsonRpcErrorCode.InvalidRequest, '"method" must be a non-empty string', 2],
    ['{"jsonrpc":"2.0","id":null,"method":"ping"}', JsonRpcErrorCode.InvalidRequest, "null is not allowed", null],
    [
      '{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}',
      JsonRpcErrorCode.InvalidRequest,
      '"id" must be a string or a number',
      null,
    ],
    [
      '{"jsonrpc":"2.0","id":3,"method":"x","params":"p"}',
      JsonRpcErrorCode.InvalidRequest,
      "params must be an object or an array",
      3,
    ],
    ['{"jsonrpc":"2.0","id":4}', JsonRpcErrorCode.InvalidRequest, 'expected "method"', 4],
    ['{"jsonrpc":"2.0","id":4,"result":1,"error":{}}', JsonRpcErrorCode.InvalidRequest, "exactly one of", 4],
  ])("rejects %s", (body, code, message, id) => {
    const error = errorOf(body);
    expect(error.code).toBe(code);
    expect(error.message).toContain(message);
    expect(error.httpStatus).toBe(400);
    expect(error.id).toBe(id);
  });

  it("accepts bytes", () => {
    expect(parseJsonRpc(Buffer.from('{"jsonrpc":"2.0","method":"a"}'))).toMatchObject({ kind: "notification" });
  });
});
