import { Redactor, type ResultRedactor } from "../sanitize";
import { MAX_REPLY_BYTES } from "../upstream/upstream-http";
import { decodeServerRequestId, encodeServerRequestId } from "./server-request-ids";
import { JsonReplyRewriter, rewriteJsonReply } from "./reply-rewriter";
import { SseIdRewriter } from "./sse-id-rewriter";

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

  it("drops an unterminated last event (a client never dispatches it)", () => {
    expect(rewriteAll([event(progress), "data: partial"])).toBe(event(progress));
  });

  it.each([
    [
      "prefixes the URI of notifications/resources/updated",
      { jsonrpc: "2.0", method: "notifications/resources/updated", params: { uri: "weather://cities" } },
      '"uri":"weather+weather://cities"',
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
      { contents: [{ uri: "everything+demo://a", text: "x" }] },
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
          { type: "resource_link", uri: "everything+demo://b", name: "b" },
          { type: "resource", resource: { uri: "everything+demo://c", text: "c" } },
          { type: "text", text: "t" },
        ],
      },
    ],
    [
      "prompt messages",
      { messages: [{ role: "user", content: { type: "resource", resource: { uri: "demo://d", text: "d" } } }] },
      {
        messages: [
          { role: "user", content: { type: "resource", resource: { uri: "everything+demo://d", text: "d" } } },
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
    expect(rewriter.end().toString()).toContain('"uri":"everything+demo://a"');
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

describe("SSE text across chunks", () => {
  const origin = { name: "weather", prefix: "weather_" };
  // Two- and four-byte characters, with a request id rewrite so the event is parsed and re-serialized too.
  const text = `data: ${JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping", params: { note: "é 🔑 ü" } })}\n\n`;
  const bytes = Buffer.from(text);

  it("keeps a multi-byte UTF-8 character split across chunks intact, at every byte offset", () => {
    const expected = new SseIdRewriter(origin).push(bytes).toString();
    const outputs = Array.from({ length: bytes.length - 1 }, (_, i) => {
      const rewriter = new SseIdRewriter(origin);
      const out = [rewriter.push(bytes.subarray(0, i + 1)), rewriter.push(bytes.subarray(i + 1)), rewriter.end()];
      return Buffer.concat(out).toString();
    });
    expect(outputs.filter((out) => out !== expected)).toEqual([]);
  });

  it("passes an event whose last character is split across chunks on whole", () => {
    const rewriter = new SseIdRewriter(origin);
    const tail = Buffer.from("data: é\n\n");
    const out = [rewriter.push(tail.subarray(0, tail.length - 3)), rewriter.push(tail.subarray(-3)), rewriter.end()];
    expect(Buffer.concat(out).toString()).toBe("data: é\n\n");
  });

  it("finds an event end split across chunks (CRLF)", () => {
    const rewriter = new SseIdRewriter(origin);
    const crlf = `data: ${JSON.stringify({ jsonrpc: "2.0", id: 2, method: "ping" })}\r\n\r\n`;
    expect(rewriter.push(crlf.slice(0, -3)).length).toBe(0);
    expect(rewriter.push(crlf.slice(-3)).toString()).toContain('"id":"mcpgw:weather:2"');
  });
});

describe("SSE sanitization", () => {
  const origin = { name: "weather", prefix: "" };
  const redactor = new Redactor([{ keys: ["password"], patterns: ["AKIA[0-9A-Z]{16}"] }]).forCall({
    server: "weather",
    method: "tools/call",
    target: "weather_lookup",
  });
  const redaction = { redactor: redactor as ResultRedactor, requestId: 7 };
  const secret = "AKIAIOSFODNN7EXAMPLE";
  const reply = (text: string): object => ({ jsonrpc: "2.0", id: 7, result: { content: [{ type: "text", text }] } });
  const sanitize = (chunks: (string | Buffer)[]): string => {
    const rewriter = new SseIdRewriter(origin, redaction);
    return Buffer.concat([...chunks.map((c) => rewriter.push(c)), rewriter.end()]).toString();
  };
  const failure = (message: string): string =>
    `data: ${JSON.stringify({ jsonrpc: "2.0", id: 7, error: { code: -32603, message } })}\n\n`;

  it("redacts a result event", () => {
    expect(sanitize([event(reply(`key ${secret}`), "id: e1\n")])).toBe(
      `id: e1\ndata: ${JSON.stringify(reply("key [REDACTED]"))}\n\n`,
    );
  });

  it("redacts a secret split across chunks at every byte offset of the event", () => {
    const bytes = Buffer.from(event(reply(`ü ${secret} password=hunter2 🔑`), "event: message\n"));
    const expected = `event: message\ndata: ${JSON.stringify(reply("ü [REDACTED] password=[REDACTED] 🔑"))}\n\n`;
    const outputs = Array.from({ length: bytes.length - 1 }, (_, i) =>
      sanitize([bytes.subarray(0, i + 1), bytes.subarray(i + 1)]),
    );
    expect(outputs.filter((out) => out !== expected)).toEqual([]);
  });

  it("redacts an event delivered one byte at a time", () => {
    const bytes = Buffer.from(event(reply(secret)));
    const chunks = Array.from(bytes, (byte) => Buffer.from([byte]));
    expect(sanitize(chunks)).toBe(event(reply("[REDACTED]")));
  });

  it("handles several events in one chunk", () => {
    const progress = { jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: 1, progress: 1 } };
    const chunk = event(progress) + event(reply(secret)) + event(reply(`again ${secret}`));
    expect(sanitize([chunk])).toBe(event(progress) + event(reply("[REDACTED]")) + event(reply("again [REDACTED]")));
  });

  it("re-serializes a clean result canonically (only what was read and redacted leaves)", () => {
    const text = `data: {"jsonrpc":"2.0", "id":7, "result":{"content":[]}}\r\n\r\n`;
    expect(sanitize([text])).toBe(`data: {"jsonrpc":"2.0","id":7,"result":{"content":[]}}\n\n`);
  });

  it("redacts a result whose key is written with escapes", () => {
    const text = `data: {"jsonrpc":"2.0","id":7,"\\u0072esult":{"password":"p"}}\n\n`;
    expect(sanitize([text])).toBe(event({ jsonrpc: "2.0", id: 7, result: { password: "[REDACTED]" } }));
  });

  it("does not redact error data (only results are sanitized)", () => {
    const error = { jsonrpc: "2.0", id: 7, error: { code: 1, message: "m", data: { password: "p" } } };
    expect(sanitize([event(error)])).toBe(event(error));
  });

  it.each([
    ["a comment", ": keepalive\n\n"],
    ["an event with empty data (an SDK priming event)", "id: 0\ndata: \n\n"],
  ])("passes %s on", (_what, text) => {
    expect(sanitize([text])).toBe(text);
  });

  it.each([
    ["non-JSON data", "data: hello\n\n"],
    ["a JSON string", `data: "${secret}"\n\n`],
    ["truncated JSON", 'data: {"jsonrpc":"2.0","id":7,"result":{\n\n'],
  ])("fails closed on %s and drops the rest of the stream", (_what, text) => {
    expect(sanitize([event(reply("before")), text, event(reply("after"))])).toBe(
      event(reply("before")) + failure("reply could not be parsed for sanitization"),
    );
  });

  it("fails closed on an event larger than the reply limit, and drops the rest", () => {
    const head = `data: {"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"`;
    const big = Buffer.alloc(MAX_REPLY_BYTES, "a");
    const out = sanitize([event(reply("before")) + head, big, `${secret}"}]}}\n\n`, event(reply("after"))]);
    expect(out).toBe(
      event(reply("before")) + failure(`reply too large to sanitize (an SSE event over ${MAX_REPLY_BYTES} characters)`),
    );
  });

  it("fails closed on a complete event larger than the limit arriving in one chunk", () => {
    const text = event(reply("a".repeat(MAX_REPLY_BYTES)));
    expect(sanitize([text])).toContain("reply too large to sanitize");
  });

  it("drops an unterminated last event at the end (the client discards it)", () => {
    expect(sanitize([event(reply("before")), `data: ${JSON.stringify(reply(secret))}\n`])).toBe(event(reply("before")));
  });

  it("still rewrites server-to-client request ids", () => {
    const sampling = { jsonrpc: "2.0", id: 0, method: "sampling/createMessage", params: {} };
    expect(sanitize([event(sampling)])).toBe(event({ ...sampling, id: "mcpgw:weather:0" }));
  });
});
