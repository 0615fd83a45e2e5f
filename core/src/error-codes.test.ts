import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { forModernClient, GatewayError, JsonRpcErrorCode, modernErrorCode } from "./errors";

// MCP 2026-07-28 basic/index.mdx, "Error Codes": -32000..-32019 legacy, -32020..-32099 the specification's own, new
// application codes outside the JSON-RPC reserved range -32768..-32000. Codes in the range are allowed only where a
// specification defines them, with that meaning.
const SPEC_DEFINED: ReadonlyMap<number, string> = new Map([
  [-32700, "ParseError"],
  [-32600, "InvalidRequest"],
  [-32601, "MethodNotFound"],
  [-32602, "InvalidParams"],
  [-32603, "InternalError"],
  [-32002, "ResourceNotFound"], // MCP 2025-11-25 and earlier
  [-32020, "HeaderMismatch"],
  [-32021, "MissingRequiredClientCapability"],
  [-32022, "UnsupportedProtocolVersion"],
]);

const codes = Object.entries(JsonRpcErrorCode);

describe("JsonRpcErrorCode", () => {
  it.each(codes)("%s (%i) is spec-defined with that meaning, or outside the JSON-RPC reserved range", (name, code) => {
    if (code >= -32768 && code <= -32000) expect(SPEC_DEFINED.get(code)).toBe(name);
    else expect(code < -32768 || code > -32000).toBe(true);
  });

  it("keeps the gateway's own codes where docs/errors.md says they are (a wire contract)", () => {
    const own = codes.filter(([, code]) => !SPEC_DEFINED.has(code));
    expect(Object.fromEntries(own)).toEqual({
      UpstreamUnavailable: -31001,
      SessionNotFound: -31002,
      RequestTooLarge: -31003,
      UpstreamTimeout: -31004,
      Forbidden: -31005,
      RateLimited: -31006,
      Unauthorized: -31007,
    });
  });

  it("has no two names for one code", () => {
    expect(new Set(codes.map(([, code]) => code)).size).toBe(codes.length);
  });

  it.each(codes)("%s (%i) is in the table of docs/errors.md", (name, code) => {
    const doc = readFileSync(resolve(__dirname, "../../docs/errors.md"), "utf8");
    expect(doc).toMatch(new RegExp(`^\\| \`${code}\` +\\| ${name} +\\|`, "m"));
  });
});

describe("modern clients (MCP 2026-07-28)", () => {
  it("get resource not found as -32602 (SEP-2164), with message, data, id and status kept", () => {
    const legacy = new GatewayError(JsonRpcErrorCode.ResourceNotFound, 'unknown resource: "x://y"', {
      id: 4,
      data: { uri: "x://y" },
    });
    const modern = forModernClient(legacy);
    expect(modern.toJsonRpc()).toEqual({
      jsonrpc: "2.0",
      id: 4,
      error: { code: -32602, message: 'unknown resource: "x://y"', data: { uri: "x://y" } },
    });
    expect(modern.httpStatus).toBe(200);
    expect(modernErrorCode(-32002)).toBe(-32602);
  });

  it.each(codes.filter(([name]) => name !== "ResourceNotFound"))("get %s (%i) unchanged", (_name, code) => {
    const error = new GatewayError(code, "m");
    expect(forModernClient(error)).toBe(error);
    expect(modernErrorCode(code)).toBe(code);
  });
});
