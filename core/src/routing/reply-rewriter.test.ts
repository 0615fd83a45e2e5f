import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Redactor, type ResultRedactor } from "../sanitize";
import { MAX_REPLY_BYTES } from "../upstream/upstream-http";
import {
  JsonReplyRewriter,
  RefusedReply,
  replyRewriter,
  rewriteJsonReply,
  rewriteStream,
  rewriteWhole,
} from "./reply-rewriter";
import { SseIdRewriter } from "./sse-id-rewriter";

const redactor = new Redactor([{ keys: ["password"], patterns: ["AKIA[0-9A-Z]{16}"] }]).forCall({
  server: "plain",
  method: "tools/call",
  target: "lookup",
}) as ResultRedactor;
const secret = "AKIAIOSFODNN7EXAMPLE";
const plain = { name: "plain", prefix: "" };
const call = { server: plain, method: "tools/call", requestId: 7, redactor };
const reply = (text: string): object => ({ jsonrpc: "2.0", id: 7, result: { content: [{ type: "text", text }] } });
const json = (message: object): Buffer => Buffer.from(JSON.stringify(message));
const failure = (message: string, id: string | number | null = 7): object => ({
  jsonrpc: "2.0",
  id,
  error: { code: -32603, message },
});
const parsed = (body: Buffer): unknown => JSON.parse(body.toString());
const JSON_HEAD = { "content-type": "application/json" };

describe("replyRewriter", () => {
  it.each([
    ["SSE", "text/event-stream", {}, SseIdRewriter],
    ["JSON of a prefixed server", "application/json", { server: { name: "p", prefix: "p_" } }, JsonReplyRewriter],
    ["JSON of an unprefixed server under sanitization", "application/json; charset=utf-8", {}, JsonReplyRewriter],
    ["JSON of an unprefixed server without sanitization", "application/json", { redactor: undefined }, undefined],
    ["a JSON response to a server request", "application/json", { method: "response", redactor: undefined }, undefined],
    ["another content type without sanitization", "text/plain", { redactor: undefined }, undefined],
    ["another content type under sanitization (refused)", "text/plain", {}, RefusedReply],
  ])("decides %s", (_what, contentType, overrides, expected) => {
    const rewriter = replyRewriter({ "content-type": contentType }, { ...call, ...overrides });
    if (expected === undefined) expect(rewriter).toBeUndefined();
    else expect(rewriter).toBeInstanceOf(expected);
  });
});

describe("JSON reply sanitization", () => {
  const redacted = reply("key [REDACTED]");

  it("redacts a streamed reply at its end (push/end)", () => {
    const rewriter = replyRewriter(JSON_HEAD, call) as JsonReplyRewriter;
    const body = json(reply(`key ${secret}`));
    const pieces = [body.subarray(0, 30), body.subarray(30, 31), body.subarray(31)].map((c) => rewriter.push(c));
    expect(Buffer.concat(pieces).length).toBe(0);
    expect(parsed(rewriter.end())).toEqual(redacted);
  });

  it("redacts a whole reply (the router's replay)", () => {
    const rewriter = replyRewriter(JSON_HEAD, call);
    expect(parsed(rewriteWhole(rewriter as JsonReplyRewriter, json(reply(`key ${secret}`))))).toEqual(redacted);
  });

  it("redacts a reply piped through rewriteStream (the standalone forwarder)", async () => {
    const body = json(reply(`key ${secret}`));
    const out: Buffer[] = [];
    const source = Readable.from([body.subarray(0, 17), body.subarray(17)]);
    await pipeline(source, rewriteStream(replyRewriter(JSON_HEAD, call) as JsonReplyRewriter), async (s) => {
      for await (const chunk of s as AsyncIterable<Buffer>) out.push(chunk);
    });
    expect(parsed(Buffer.concat(out))).toEqual(redacted);
  });

  it("prefixes resource URIs and redacts in one pass", () => {
    const origin = { name: "docs", prefix: "docs_" };
    const body = json({ jsonrpc: "2.0", id: 1, result: { contents: [{ uri: "a://b", text: `password=${secret}` }] } });
    expect(parsed(rewriteJsonReply(body, origin, { redactor, requestId: 1 }))).toEqual({
      jsonrpc: "2.0",
      id: 1,
      result: { contents: [{ uri: "docs+a://b", text: "password=[REDACTED]" }] },
    });
  });

  it("re-serializes a clean reply canonically (only what was read and redacted leaves)", () => {
    const body = Buffer.from(`\ufeff{ "jsonrpc": "2.0", "id": 7, "result": {"content": []} }`);
    expect(rewriteJsonReply(body, plain, { redactor, requestId: 7 }).toString()).toBe(
      '{"jsonrpc":"2.0","id":7,"result":{"content":[]}}',
    );
  });

  it("redacts every member of a batch", () => {
    const body = Buffer.from(JSON.stringify([reply(secret), { ...reply("ok"), id: 8 }]));
    expect(parsed(rewriteJsonReply(body, plain, { redactor, requestId: 7 }))).toEqual([
      reply("[REDACTED]"),
      { ...reply("ok"), id: 8 },
    ]);
  });

  it("redacts a result that is not an object", () => {
    const body = json({ jsonrpc: "2.0", id: 7, result: `key ${secret}` });
    expect(parsed(rewriteJsonReply(body, plain, { redactor, requestId: 7 }))).toEqual({
      jsonrpc: "2.0",
      id: 7,
      result: "key [REDACTED]",
    });
  });

  it("passes an empty body on", () => {
    const body = Buffer.from("  \n");
    expect(rewriteJsonReply(body, plain, { redactor, requestId: 7 })).toBe(body);
  });

  it.each([
    ["not JSON", `<html>${secret}</html>`],
    ["truncated JSON", '{"jsonrpc":"2.0","id":7,"result":{'],
    ["a JSON string", JSON.stringify(secret)],
    ["a batch with a non-object member", JSON.stringify([reply("x"), 5])],
  ])("fails closed on %s", (_what, text) => {
    const body = rewriteJsonReply(Buffer.from(text), plain, { redactor, requestId: 7 });
    expect(parsed(body)).toEqual(failure("reply could not be parsed for sanitization"));
  });

  it("fails closed on a result nested too deeply to sanitize", () => {
    const deep = `{"jsonrpc":"2.0","id":7,"result":${'{"a":'.repeat(1000)}1${"}".repeat(1000)}}`;
    const body = rewriteJsonReply(Buffer.from(deep), plain, { redactor, requestId: 7 });
    expect(parsed(body)).toEqual(failure("reply could not be parsed for sanitization"));
  });

  it("answers with a null id when the request id is unknown", () => {
    const body = rewriteJsonReply(Buffer.from("nope"), plain, { redactor, requestId: null });
    expect(parsed(body)).toEqual(failure("reply could not be parsed for sanitization", null));
  });
});

describe("JSON reply past the size limit", () => {
  const head = Buffer.from(`{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"`);
  const filler = Buffer.alloc(MAX_REPLY_BYTES, "a");
  const tail = Buffer.from(`${secret}"}]}}`);

  it("fails closed under sanitization: an error in the reply's place, the rest dropped", () => {
    const rewriter = replyRewriter(JSON_HEAD, call) as JsonReplyRewriter;
    const out = [rewriter.push(head), rewriter.push(filler), rewriter.push(tail), rewriter.end()];
    const size = head.length + filler.length;
    expect(parsed(Buffer.concat(out))).toEqual(
      failure(`reply too large to sanitize (${size} bytes, limit ${MAX_REPLY_BYTES})`),
    );
  });

  it("passes through unchanged without sanitization", () => {
    const rewriter = new JsonReplyRewriter({ name: "p", prefix: "p_" });
    const out = [rewriter.push(head), rewriter.push(filler), rewriter.push(tail), rewriter.end()];
    expect(Buffer.concat(out).equals(Buffer.concat([head, filler, tail]))).toBe(true);
  });
});

describe("cache scope of one consumer's direct 2026 read (privateCache)", () => {
  const read = (result: Record<string, unknown>): Buffer =>
    Buffer.from(JSON.stringify({ jsonrpc: "2.0", id: 3, result }));
  const call = { server: { name: "files", prefix: "", resourcePrefix: "" }, method: "resources/read" };
  const result = { contents: [{ uri: "file:///a", text: "a" }], ttlMs: 60_000, cacheScope: "public" };

  function rewrite(contentType: string, body: Buffer, privateCache: boolean | undefined): string {
    const rewriter = replyRewriter({ "content-type": contentType }, { ...call, privateCache });
    if (rewriter === undefined) return body.toString("utf8");
    return Buffer.concat([rewriter.push(body), rewriter.end()]).toString("utf8");
  }

  it("turns an upstream's public scope private in a JSON reply, keeping the TTL", () => {
    const out = JSON.parse(rewrite("application/json", read(result), true)) as { result: Record<string, unknown> };
    expect(out.result).toMatchObject({ ttlMs: 60_000, cacheScope: "private" });
  });

  it("turns it private in an SSE reply too", () => {
    const sse = Buffer.from(`event: message\ndata: ${read(result).toString("utf8")}\n\n`);
    expect(rewrite("text/event-stream", sse, true)).toContain('"cacheScope":"private"');
  });

  it("leaves the reply untouched without the flag (auth: none: every caller is the same)", () => {
    expect(rewrite("application/json", read(result), undefined)).toContain('"cacheScope":"public"');
  });
});
