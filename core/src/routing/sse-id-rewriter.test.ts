import { decodeServerRequestId, encodeServerRequestId } from "./server-request-ids";
import { JsonReplyRewriter, rewriteJsonReply, SseIdRewriter } from "./sse-id-rewriter";

const event = (message: object, extra = ""): string => `${extra}data: ${JSON.stringify(message)}\n\n`;

function rewriteAll(chunks: string[]): string {
  const rewriter = new SseIdRewriter({ name: "weather", prefix: "weather_" });
  return chunks.map((c) => rewriter.push(c).toString()).join("") + rewriter.end().toString();
}

describe("server request ids", () => {
  it.each([0, 17, "abc", "with:colons"])("round-trips %j", (id) => {
    expect(decodeServerRequestId(encodeServerRequestId("weather", id))).toEqual({ server: "weather", id });
  });

  it.each([5, "5", "mcpgw:", "mcpgw:weather", "mcpgw:weather:{", "mcpgw:weather:[1]", null])(
    "does not decode %j",
    (id) => {
      expect(decodeServerRequestId(id)).toBeUndefined();
    },
  );

  it("keeps ids of different upstreams apart", () => {
    expect(encodeServerRequestId("a", 0)).not.toBe(encodeServerRequestId("b", 0));
  });
});

describe("SseIdRewriter", () => {
  const sampling = { jsonrpc: "2.0", id: 0, method: "sampling/createMessage", params: { maxTokens: 5 } };
  const progress = { jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: 1, progress: 1 } };
  const result = { jsonrpc: "2.0", id: 7, result: { content: [] } };

  it("rewrites the id of a server-to-client request and nothing else", () => {
    const out = rewriteAll([event(progress), event(sampling, "id: ev-1\nevent: message\n"), event(result)]);
    expect(out).toBe(
      event(progress) +
        `id: ev-1\nevent: message\ndata: ${JSON.stringify({ ...sampling, id: "mcpgw:weather:0" })}\n\n` +
        event(result),
    );
  });

  it("holds back an event split across chunks until it is complete", () => {
    const text = event(sampling);
    const rewriter = new SseIdRewriter({ name: "weather", prefix: "weather_" });
    expect(rewriter.push(text.slice(0, 20)).length).toBe(0);
    expect(rewriter.push(text.slice(20)).toString()).toContain('"id":"mcpgw:weather:0"');
  });

  it.each([
    ["multi-line data", 'data: {"jsonrpc":"2.0",\ndata: "id":3,"method":"ping"}\n\n', '"id":"mcpgw:weather:3"'],
    [
      "CRLF line ends",
      `data: ${JSON.stringify({ jsonrpc: "2.0", id: "x", method: "roots/list" })}\r\n\r\n`,
      '"id":"mcpgw:weather:\\"x\\""',
    ],
    ["a comment", ": keepalive\n\n", ": keepalive"],
    ["non-JSON data", "data: hello\n\n", "data: hello"],
  ])("handles %s", (_what, text, expected) => {
    expect(rewriteAll([text])).toContain(expected);
  });

  it("passes an unterminated last event on at the end", () => {
    expect(rewriteAll(["data: partial"])).toBe("data: partial");
  });

  it.each([
    [
      "prefixes the URI of notifications/resources/updated",
      { jsonrpc: "2.0", method: "notifications/resources/updated", params: { uri: "weather://cities" } },
      '"uri":"weather_weather://cities"',
    ],
    [
      "encodes the requestId of notifications/cancelled",
      { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 4, reason: "timeout" } },
      '"requestId":"mcpgw:weather:4"',
    ],
  ])("%s", (_what, message, expected) => {
    expect(rewriteAll([event(message)])).toContain(expected);
  });

  it("drops upstream list_changed notifications (the broker sends its own)", () => {
    const listChanged = { jsonrpc: "2.0", method: "notifications/tools/list_changed" };
    expect(rewriteAll([event(listChanged), event(progress)])).toBe(event(progress));
  });
});

describe("resource URIs inside results", () => {
  const origin = { name: "everything", prefix: "everything_" };

  it.each([
    [
      "resources/read contents",
      { contents: [{ uri: "demo://a", text: "x" }] },
      { contents: [{ uri: "everything_demo://a", text: "x" }] },
    ],
    [
      "resource_link and embedded resource blocks of a tool result",
      {
        content: [
          { type: "resource_link", uri: "demo://b", name: "b" },
          { type: "resource", resource: { uri: "demo://c", text: "c" } },
          { type: "text", text: "t" },
        ],
      },
      {
        content: [
          { type: "resource_link", uri: "everything_demo://b", name: "b" },
          { type: "resource", resource: { uri: "everything_demo://c", text: "c" } },
          { type: "text", text: "t" },
        ],
      },
    ],
    [
      "prompt messages",
      { messages: [{ role: "user", content: { type: "resource", resource: { uri: "demo://d", text: "d" } } }] },
      {
        messages: [
          { role: "user", content: { type: "resource", resource: { uri: "everything_demo://d", text: "d" } } },
        ],
      },
    ],
  ])("prefixes %s", (_what, result, expected) => {
    const reply = rewriteJsonReply(Buffer.from(JSON.stringify({ jsonrpc: "2.0", id: 1, result })), origin);
    expect(JSON.parse(reply.toString())).toEqual({ jsonrpc: "2.0", id: 1, result: expected });
  });

  it("leaves results of an unprefixed server byte-for-byte", () => {
    const body = Buffer.from(JSON.stringify({ jsonrpc: "2.0", id: 1, result: { contents: [{ uri: "demo://a" }] } }));
    expect(rewriteJsonReply(body, { name: "plain", prefix: "" })).toBe(body);
  });

  it("rewrites a JSON reply only once it is complete", () => {
    const rewriter = new JsonReplyRewriter(origin);
    const text = JSON.stringify({ jsonrpc: "2.0", id: 1, result: { contents: [{ uri: "demo://a" }] } });
    expect(rewriter.push(Buffer.from(text.slice(0, 10))).length).toBe(0);
    expect(rewriter.push(Buffer.from(text.slice(10))).length).toBe(0);
    expect(rewriter.end().toString()).toContain('"uri":"everything_demo://a"');
  });
});

describe("rewriting cost", () => {
  const origin = { name: "everything", prefix: "everything_" };
  const reply = JSON.stringify({ jsonrpc: "2.0", id: 1, result: { content: [{ type: "text", text: "Echo: hi" }] } });

  it("passes an SSE result without resource URIs through byte-for-byte", () => {
    const text = `data: ${reply}\n\n`;
    expect(new SseIdRewriter(origin).push(text).toString()).toBe(text);
  });

  it("returns the very same buffer for a JSON result without resource URIs", () => {
    const body = Buffer.from(reply);
    expect(rewriteJsonReply(body, origin)).toBe(body);
  });
});
