import { classifyRequest } from "./classify";

const MODERN = "2026-07-28";
const meta = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  "io.modelcontextprotocol/protocolVersion": MODERN,
  "io.modelcontextprotocol/clientCapabilities": {},
  "io.modelcontextprotocol/clientInfo": { name: "client", version: "1.0.0" },
  ...extra,
});
const headers = (extra: Record<string, string> = {}): Record<string, string> => ({
  "content-type": "application/json",
  accept: "application/json, text/event-stream",
  "mcp-protocol-version": MODERN,
  ...extra,
});
const call = (name: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  jsonrpc: "2.0",
  id: 7,
  method: "tools/call",
  params: { name, arguments: {}, _meta: meta(), ...extra },
});
const request = (method: string, params: Record<string, unknown> = { _meta: meta() }): Record<string, unknown> => ({
  jsonrpc: "2.0",
  id: "r-1",
  method,
  params,
});

describe("classifyRequest", () => {
  it.each([
    ["a session request without envelope or modern header", {}, request("tools/list", {})],
    ["initialize without an envelope", {}, request("initialize", { protocolVersion: "2025-11-25" })],
    ["a posted JSON-RPC response", {}, { jsonrpc: "2.0", id: "mcpgw:a:1", result: {} }],
    ["a notification without a modern header", {}, { jsonrpc: "2.0", method: "notifications/initialized" }],
  ])("keeps %s on the legacy path", async (_name, extra, body) => {
    expect(await classifyRequest(extra, "POST", body)).toEqual({ era: "legacy" });
  });

  it("routes GET and DELETE to the legacy path (the modern era is POST-only)", async () => {
    expect(await classifyRequest(headers(), "GET", undefined)).toEqual({ era: "legacy" });
    expect(await classifyRequest(headers(), "DELETE", undefined)).toEqual({ era: "legacy" });
  });

  it.each([
    ["a call with matching headers", headers({ "mcp-method": "tools/call", "mcp-name": "echo" }), call("echo")],
    [
      "an Mcp-Name in the base64 sentinel form",
      headers({ "mcp-method": "tools/call", "mcp-name": `=?base64?${Buffer.from("échø").toString("base64")}?=` }),
      call("échø"),
    ],
    [
      "headers with optional whitespace around the values",
      headers({ "mcp-protocol-version": ` ${MODERN}\t`, "mcp-method": " tools/call ", "mcp-name": "\techo " }),
      call("echo"),
    ],
    ["server/discover", headers({ "mcp-method": "server/discover" }), request("server/discover")],
    ["subscriptions/listen", headers({ "mcp-method": "subscriptions/listen" }), request("subscriptions/listen")],
  ])("classifies %s as modern", async (_name, head, body) => {
    const era = await classifyRequest(head, "POST", body);
    expect(era.era).toBe("modern");
    if (era.era === "modern") {
      expect(era.message.method).toBe(body["method"]);
      expect(era.classification).toEqual({ era: "modern", revision: MODERN });
    }
  });

  const rejects: [string, Record<string, string>, Record<string, unknown>, number, number][] = [
    ["Mcp-Name missing", headers({ "mcp-method": "tools/call" }), call("echo"), 400, -32020],
    [
      "Mcp-Name naming another tool",
      headers({ "mcp-method": "tools/call", "mcp-name": "other" }),
      call("echo"),
      400,
      -32020,
    ],
    [
      "Mcp-Name whose base64 decodes to another tool",
      headers({ "mcp-method": "tools/call", "mcp-name": `=?base64?${Buffer.from("other").toString("base64")}?=` }),
      call("echo"),
      400,
      -32020,
    ],
    [
      "a malformed base64 sentinel",
      headers({ "mcp-method": "tools/call", "mcp-name": "=?base64?***?=" }),
      call("echo"),
      400,
      -32020,
    ],
    ["Mcp-Method missing", headers(), call("echo"), 400, -32020],
    [
      "Mcp-Method naming another method",
      headers({ "mcp-method": "tools/list", "mcp-name": "echo" }),
      call("echo"),
      400,
      -32020,
    ],
    [
      "MCP-Protocol-Version missing",
      {
        "content-type": "application/json",
        accept: "application/json",
        "mcp-method": "tools/call",
        "mcp-name": "echo",
      },
      call("echo"),
      400,
      -32020,
    ],
    [
      "MCP-Protocol-Version disagreeing with the envelope",
      headers({ "mcp-protocol-version": "2025-11-25", "mcp-method": "tools/call", "mcp-name": "echo" }),
      call("echo"),
      400,
      -32020,
    ],
    ["a modern header without _meta", headers({ "mcp-method": "tools/list" }), request("tools/list", {}), 400, -32602],
    [
      "an envelope missing clientCapabilities",
      headers({ "mcp-method": "tools/list" }),
      request("tools/list", { _meta: { "io.modelcontextprotocol/protocolVersion": MODERN } }),
      400,
      -32602,
    ],
    ["initialize (removed)", headers({ "mcp-method": "initialize" }), request("initialize"), 404, -32601],
    ["ping (removed)", headers({ "mcp-method": "ping" }), request("ping"), 404, -32601],
    [
      "logging/setLevel (removed)",
      headers({ "mcp-method": "logging/setLevel" }),
      request("logging/setLevel", { level: "info", _meta: meta() }),
      404,
      -32601,
    ],
    [
      "resources/subscribe (removed)",
      headers({ "mcp-method": "resources/subscribe" }),
      request("resources/subscribe", { uri: "a://b", _meta: meta() }),
      404,
      -32601,
    ],
    ["a body that is no JSON-RPC message", headers(), { hello: "world" }, 400, -32600],
  ];
  it.each(rejects)("rejects %s with the SDK's status and code", async (_name, head, body, status, code) => {
    const era = await classifyRequest(head, "POST", body);
    expect(era.era).toBe("reject");
    if (era.era !== "reject") return;
    expect(era.error.httpStatus).toBe(status);
    expect(era.error.code).toBe(code);
    expect(era.error.message).not.toBe("");
    expect(era.error.id).toBe(typeof body["id"] === "string" || typeof body["id"] === "number" ? body["id"] : null);
  });

  it("answers an unsupported revision with -32022 and the supported versions in data", async () => {
    const body = request("tools/list", { _meta: meta({ "io.modelcontextprotocol/protocolVersion": "2099-01-01" }) });
    const era = await classifyRequest(
      headers({ "mcp-protocol-version": "2099-01-01", "mcp-method": "tools/list" }),
      "POST",
      body,
    );
    expect(era).toMatchObject({ era: "reject", error: { httpStatus: 400, code: -32022, id: "r-1" } });
    if (era.era === "reject") expect(era.error.data).toMatchObject({ supported: [MODERN], requested: "2099-01-01" });
  });

  it("never lets a header value the Fetch API refuses escape as an exception", async () => {
    const era = await classifyRequest(
      headers({ "mcp-method": "tools/call", "mcp-name": "a\u0100b" }),
      "POST",
      call("a\u0100b"),
    );
    expect(era).toMatchObject({ era: "reject", error: { httpStatus: 400, id: 7 } });
  });
});
