import { classifyRequest } from "../modern/classify";
import { encodeMcpHeaderValue, modernCallHeaders } from "./modern-route";

const META = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientCapabilities": {},
  "io.modelcontextprotocol/clientInfo": { name: "c", version: "1" },
};

describe("encodeMcpHeaderValue", () => {
  it.each([
    ["get_weather", "get_weather"],
    ["file:///projects/app/config.json", "file:///projects/app/config.json"],
    ["a b", "a b"],
    ["Hello, 世界", "=?base64?SGVsbG8sIOS4lueVjA==?="],
    [" padded ", "=?base64?IHBhZGRlZCA=?="],
    ["line1\nline2", "=?base64?bGluZTEKbGluZTI=?="],
    ["=?base64?literal?=", "=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?="],
    ["", "=?base64??="],
  ])("writes %j as the spec's table says (%s)", (value, header) => {
    expect(encodeMcpHeaderValue(value)).toBe(header);
  });

  // Differential: whatever the gateway writes, the SDK's own ladder reads back as the same name.
  it.each(["echo", "wetter_für_köln", " x", "tab\there", "=?base64?x?=", "😀", "a\u0000b", "é"])(
    "writes %j so that the SDK reads it back as the body's name",
    async (name) => {
      const headers = {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-protocol-version": "2026-07-28",
        "mcp-method": "tools/call",
        "mcp-name": encodeMcpHeaderValue(name),
      };
      const body = { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name, arguments: {}, _meta: META } };
      expect((await classifyRequest(headers, "POST", body)).era).toBe("modern");
    },
  );
});

describe("modernCallHeaders", () => {
  const server = { name: "fresh", url: "http://10.0.0.1:9/mcp", prefix: "fresh_", headers: { "x-api-key": "k" } };
  const body = Buffer.from("{}");

  it("names the upstream's own tool in Mcp-Name, sends no session and keeps the configured headers", () => {
    const built = modernCallHeaders({ server, method: "tools/call", targetName: "échø", body }, ["x-gateway-key"]);
    expect(built.setHeaders).toMatchObject({
      "mcp-name": "=?base64?w6ljaMO4?=",
      "mcp-protocol-version": "2026-07-28",
      "x-destination-mcp": "fresh",
      "x-api-key": "k",
      ":path": "/mcp",
    });
    expect(built.setHeaders["mcp-session-id"]).toBeUndefined();
    expect(built.removeHeaders).toEqual(expect.arrayContaining(["mcp-session-id", "authorization", "x-gateway-key"]));
  });

  it("leaves Mcp-Name alone for completion/complete, which has no name header", () => {
    const built = modernCallHeaders({ server, method: "completion/complete", targetName: "p", body }, []);
    expect(built.setHeaders["mcp-name"]).toBeUndefined();
  });
});
