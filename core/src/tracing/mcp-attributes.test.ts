import { Redactor } from "../sanitize";
import {
  cappedJson,
  hashedSessionId,
  messageFacts,
  redactedJson,
  requestAttributes,
  spanNameOf,
} from "./mcp-attributes";

describe("MCP span attributes", () => {
  it.each([
    [{ method: "tools/call", id: 7, params: { name: "w_get", arguments: { a: 1 } } }, "tools/call w_get"],
    [{ method: "prompts/get", id: "x", params: { name: "p" } }, "prompts/get p"],
    [{ method: "resources/read", id: 1, params: { uri: "file:///a" } }, "resources/read"],
    [{ method: "notifications/initialized" }, "notifications/initialized"],
    ["not json", "mcp"],
  ])("names the span of %j %s", (message, name) => {
    expect(spanNameOf(messageFacts(message))).toBe(name);
  });

  it("sets the semantic-convention attributes of a tools/call, hashing the session id and leaving arguments out", () => {
    const facts = messageFacts({ method: "tools/call", id: 7, params: { name: "w_get", arguments: { city: "Oslo" } } });
    const attributes = requestAttributes(
      facts,
      { "mcp-session-id": "raw-session", "mcp-protocol-version": "v1" },
      false,
    );
    expect(attributes).toEqual({
      "mcp.method.name": "tools/call",
      "gen_ai.tool.name": "w_get",
      "gen_ai.operation.name": "execute_tool",
      "jsonrpc.request.id": "7",
      "mcp.protocol.version": "v1",
      "mcp.session.id": hashedSessionId("raw-session"),
      "network.transport": "tcp",
      "network.protocol.name": "http",
    });
    expect(attributes["mcp.session.id"]).not.toContain("raw");
  });

  it("records arguments only with content capture", () => {
    const facts = messageFacts({ method: "tools/call", id: 1, params: { name: "t", arguments: { city: "Oslo" } } });
    expect(requestAttributes(facts, {}, { redactor: undefined })["gen_ai.tool.call.arguments"]).toBe('{"city":"Oslo"}');
  });

  it("records arguments through the sanitize redaction", () => {
    const redactor = new Redactor([{ keys: ["api_key"] }, { patterns: ["AKIA[0-9A-Z]{4}"] }]).forAnyCall();
    const args = { city: "Oslo AKIAWXYZ", api_key: "hunter2" };
    const facts = messageFacts({ method: "tools/call", id: 1, params: { name: "t", arguments: args } });
    expect(requestAttributes(facts, {}, { redactor })["gen_ai.tool.call.arguments"]).toBe(
      '{"city":"Oslo [REDACTED]","api_key":"[REDACTED]"}',
    );
  });

  it.each([
    ["an object", { token: "s3cret" }, '{"token":"[REDACTED]"}'],
    ["an array", ["a s3cret", { token: 1 }], '["a [REDACTED]",{"token":"[REDACTED]"}]'],
    ["a string", "s3cret here", '"[REDACTED] here"'],
    ["a number", 42, "42"],
  ])("redacts %s before capping it", (_kind, value, expected) => {
    const redactor = new Redactor([{ keys: ["token"], patterns: ["s3cret"] }]).forAnyCall();
    expect(redactedJson(value, redactor, 4096)).toBe(expected);
  });

  it("records nothing when the value cannot be redacted (fail closed)", () => {
    const redactor = new Redactor([{ patterns: ["s3cret"] }]).forAnyCall();
    let deep: unknown = "s3cret";
    for (let i = 0; i < 300; i++) deep = [deep];
    expect(redactedJson(deep, redactor, 4096)).toBeUndefined();
  });

  it("has no request id for a notification or a null id", () => {
    expect(messageFacts({ method: "ping", id: null }).id).toBeUndefined();
    expect(messageFacts({ method: "notifications/cancelled" }).id).toBeUndefined();
  });

  it("caps recorded content, marking the cut with a trailing ellipsis", () => {
    expect(cappedJson({ a: 1 }, 10)).toBe('{"a":1}');
    expect(cappedJson({ text: "x".repeat(20) }, 10)).toBe('{"text":"x…');
  });
});
