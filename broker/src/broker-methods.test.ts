import { LATEST_PROTOCOL_VERSION } from "@modelcontextprotocol/sdk/types.js";
import {
  AccessPolicy,
  Catalog,
  GatewayError,
  JsonRpcErrorCode,
  PROTOTYPE_KEYS,
  type JsonRpcRequest,
  type ServerConfig,
} from "@mcp-gateway/core";
import { brokerResult, initializeResult, negotiateProtocolVersion } from "./broker-methods";

const request = (method: string, params?: JsonRpcRequest["params"]): JsonRpcRequest => ({
  kind: "request",
  id: 9,
  method,
  params,
  raw: { jsonrpc: "2.0", id: 9, method, ...(params ? { params } : {}) },
});

const weather: ServerConfig = { name: "weather", url: "http://127.0.0.1:1/mcp", prefix: "weather_", headers: {} };
const catalog = Catalog.build(
  [weather],
  new Map([
    [
      "weather",
      {
        tools: [{ name: "get_forecast", inputSchema: { type: "object" } }],
        prompts: [{ name: "weather_report" }],
        resources: [{ uri: "weather://cities", name: "cities" }],
      },
    ],
  ]),
);

/** The GatewayError `action` throws (fails the test when it throws nothing). */
function thrown(action: () => unknown): GatewayError {
  try {
    action();
  } catch (error: unknown) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error("expected a GatewayError");
}

describe("negotiateProtocolVersion", () => {
  it.each<[requested: unknown, agreed: string]>([
    ["2025-06-18", "2025-06-18"],
    ["2025-03-26", "2025-03-26"],
    ["2024-11-05", "2024-11-05"],
    [LATEST_PROTOCOL_VERSION, LATEST_PROTOCOL_VERSION],
    ["1999-01-01", LATEST_PROTOCOL_VERSION],
    ["", LATEST_PROTOCOL_VERSION],
    [20250618, LATEST_PROTOCOL_VERSION],
    [undefined, LATEST_PROTOCOL_VERSION],
  ])("answers %p with %s", (requested, agreed) => {
    expect(negotiateProtocolVersion(requested)).toBe(agreed);
  });
});

describe("initializeResult", () => {
  it.each<[label: string, params: JsonRpcRequest["params"]]>([
    ["missing", undefined],
    ["an array", ["2025-06-18"]],
  ])("refuses params that are %s with -32602 for the request's id", (_label, params) => {
    const error = thrown(() => initializeResult(request("initialize", params)));
    expect(error.toJsonRpc()).toMatchObject({ id: 9, error: { code: JsonRpcErrorCode.InvalidParams } });
  });

  it("names the gateway in serverInfo", () => {
    const result = initializeResult(request("initialize", { protocolVersion: "2025-06-18" }));
    expect(result["serverInfo"]).toEqual({ name: "mcp-gateway", version: expect.any(String) });
  });
});

describe("brokerResult", () => {
  it.each<[method: string, result: Record<string, unknown>]>([
    ["ping", {}],
    ["tools/list", { tools: [{ name: "weather_get_forecast", inputSchema: { type: "object" } }] }],
    ["prompts/list", { prompts: [{ name: "weather_weather_report" }] }],
    ["resources/list", { resources: [{ uri: "weather+weather://cities", name: "cities" }] }],
    ["resources/templates/list", { resourceTemplates: [] }],
    ["logging/setLevel", {}],
  ])("answers %s from the catalog", (method, result) => {
    expect(brokerResult(catalog, request(method), AccessPolicy.open())).toEqual(result);
  });

  it.each(["tools/call", "prompts/get", "resources/read"])("refuses routed method %s with -32603 and HTTP 500", (m) => {
    const error = thrown(() => brokerResult(catalog, request(m), AccessPolicy.open()));
    expect([error.code, error.httpStatus, error.id]).toEqual([JsonRpcErrorCode.InternalError, 500, 9]);
  });

  it("refuses an unknown method with -32601 naming it", () => {
    const error = thrown(() => brokerResult(catalog, request("sampling/whatever"), AccessPolicy.open()));
    expect(error.code).toBe(JsonRpcErrorCode.MethodNotFound);
    expect(error.message).toContain("sampling/whatever");
  });

  // Before handlers were an own-key lookup, "constructor" answered with the whole catalog (server configs included).
  it.each(PROTOTYPE_KEYS)("refuses the Object.prototype name %j as a method with -32601 naming it", (method) => {
    const error = thrown(() => brokerResult(catalog, request(method), AccessPolicy.open()));
    expect([error.code, error.httpStatus, error.id]).toEqual([JsonRpcErrorCode.MethodNotFound, 200, 9]);
    expect(error.message).toBe(`method not found: ${JSON.stringify(method)}`);
  });
});
