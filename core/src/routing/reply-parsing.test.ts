import { Redactor, type ResultRedactor } from "../sanitize";
import { RefusedReply, replyRewriter, rewriteJsonReply, rewriteWhole } from "./reply-rewriter";
import { SanitizeFailure } from "./sanitize-failure";
import { SseIdRewriter } from "./sse-id-rewriter";

// How the gateway reads upstream replies: as the MCP SDK client does (WHATWG decoding, eventsource-parser), written
// out again in canonical form.
const redactor = new Redactor([{ patterns: ["AKIA[0-9A-Z]{16}"] }]).forCall({
  server: "plain",
  method: "tools/call",
  target: "lookup",
}) as ResultRedactor;
const secret = "AKIAIOSFODNN7EXAMPLE";
const origin = { name: "plain", prefix: "" };
const redaction = { redactor, requestId: 7 };
const reply = (text: string): string =>
  JSON.stringify({ jsonrpc: "2.0", id: 7, result: { content: [{ type: "text", text }] } });
const sse = (chunks: (string | Buffer)[], rewriter = new SseIdRewriter(origin, redaction)): string =>
  Buffer.concat([...chunks.map((chunk) => rewriter.push(chunk)), rewriter.end()]).toString();

describe("SSE read as the client reads it", () => {
  it.each([
    ["a UTF-8 BOM", `\ufeffdata: ${reply(secret)}\n\n`],
    ["LF CR", `data: ${reply(secret)}\n\r`],
    ["CR LF CR", `data: ${reply(secret)}\r\n\r`],
    ["CR CR LF", `data: ${reply(secret)}\r\r\n`],
    ["LF CR LF", `data: ${reply(secret)}\n\r\n`],
    ["CR", `data: ${reply(secret)}\r\r`],
  ])("redacts an event after %s", (_what, text) => {
    expect(sse([`${text}data: ${reply("ok")}\n\n`])).toBe(`data: ${reply("[REDACTED]")}\n\ndata: ${reply("ok")}\n\n`);
  });

  it("drops an event whose blank line is a CR at the very end (the client waits for a possible LF)", () => {
    expect(sse([`data: ${reply("ok")}\n\ndata: ${reply(secret)}\n\r`])).toBe(`data: ${reply("ok")}\n\n`);
  });

  it("drops an event after a second BOM (the client reads an unknown field)", () => {
    expect(sse([`\ufeff\ufeffdata: ${reply(secret)}\n\ndata: ${reply("ok")}\n\n`])).toBe(`data: ${reply("ok")}\n\n`);
  });

  it("reads the same events at every chunk split of a stream mixing CR, LF and CRLF", () => {
    const text = `: hi\r\nid: 1\revent: message\ndata: ${reply(`é ${secret}`)}\r\n\rdata: ${reply("🔑")}\n\r: end\n`;
    const bytes = Buffer.from(text);
    const whole = sse([bytes]);
    expect(whole).toBe(
      `: hi\n\nid: 1\nevent: message\ndata: ${reply("é [REDACTED]")}\n\ndata: ${reply("🔑")}\n\n: end\n\n`,
    );
    const splits = Array.from({ length: bytes.length + 1 }, (_, i) => sse([bytes.subarray(0, i), bytes.subarray(i)]));
    expect(splits.filter((out) => out !== whole)).toEqual([]);
  });

  it("writes data lines of a multi-line event as canonical data lines, and keeps retry", () => {
    const text = "retry: 500\r\ndata: a\rdata:b\ndata:  c\r\n\r\n";
    expect(sse([text], new SseIdRewriter(origin))).toBe("retry: 500\n\ndata: a\ndata: b\ndata:  c\n\n");
  });

  it("drops unknown fields and events without data", () => {
    expect(sse(["x: y\nid: 5\n\ndata\n\n"], new SseIdRewriter(origin))).toBe("data: \n\n");
  });
});

describe("an upstream's GET notification stream", () => {
  const request = JSON.stringify({ jsonrpc: "2.0", id: 3, method: "roots/list" });
  const notification = JSON.stringify({ jsonrpc: "2.0", method: "notifications/message", params: { level: "info" } });

  it.each([
    ["a result", reply(secret)],
    ["an error", JSON.stringify({ jsonrpc: "2.0", id: 7, error: { code: 1, message: "m" } })],
    ["a batch", `[${reply(secret)}]`],
  ])("drops %s (responses never belong there)", (_what, data) => {
    const out = sse([`data: ${data}\n\ndata: ${notification}\n\n`], SseIdRewriter.forNotifications(origin));
    expect(out).toBe(`data: ${notification}\n\n`);
  });

  it("keeps requests (ids rewritten) and notifications", () => {
    const out = sse([`data: ${request}\n\ndata: ${notification}\n\n`], SseIdRewriter.forNotifications(origin));
    expect(out).toContain('"id":"mcpgw:plain:3"');
    expect(out).toContain(notification);
  });
});

describe("JSON read as the client reads it", () => {
  it("redacts a body after a UTF-8 BOM", () => {
    const body = rewriteJsonReply(Buffer.from(`\ufeff${reply(secret)}`), origin, redaction);
    expect(body.toString()).toBe(reply("[REDACTED]"));
  });

  it("keeps only the member the client reads of a duplicated key", () => {
    const text = `{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"${secret}"}]},"result":{"content":[]}}`;
    expect(rewriteJsonReply(Buffer.from(text), origin, redaction).toString()).toBe(
      '{"jsonrpc":"2.0","id":7,"result":{"content":[]}}',
    );
  });
});

describe("replies refused under sanitization", () => {
  const refusal = (reason: string): string =>
    JSON.stringify({ jsonrpc: "2.0", id: 7, error: { code: -32603, message: `${reason}: refused under redaction` } });

  it.each([
    [{ "content-type": "text/plain" }, "upstream reply is neither application/json nor text/event-stream"],
    [{ "content-type": "application/json;" }, "upstream reply has a malformed content-type"],
    [
      { "content-type": "text/event-stream", "content-encoding": "gzip" },
      "upstream reply is content-encoded; only uncompressed replies are sanitized",
    ],
  ])("replaces %j by one JSON-RPC error, as application/json", (headers, reason) => {
    const rewriter = replyRewriter(headers, { server: origin, method: "tools/call", requestId: 7, redactor });
    expect(rewriter).toBeInstanceOf(RefusedReply);
    expect(rewriter?.contentType).toBe("application/json");
    expect(rewriteWhole(rewriter as RefusedReply, Buffer.from(`data: ${reply(secret)}\n\n`)).toString()).toBe(
      refusal(reason),
    );
  });

  it("leaves an empty body empty (nothing to hide)", () => {
    const rewriter = new RefusedReply(SanitizeFailure.unreadable("x"), 7);
    expect(Buffer.concat([rewriter.push(Buffer.alloc(0)), rewriter.end()]).length).toBe(0);
  });

  it("does not read a content-encoded reply without sanitization", () => {
    const headers = { "content-type": "text/event-stream", "content-encoding": "br" };
    expect(replyRewriter(headers, { server: origin, method: "tools/call" })).toBeUndefined();
  });
});
