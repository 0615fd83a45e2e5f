import { Readable } from "node:stream";
import { text } from "node:stream/consumers";
import { failureOf, replyOutcomeTap, type ReplyFailure, type ReplyRead } from "./reply-outcome";

async function tapped(
  contentType: string,
  chunks: string[],
): Promise<{ out: string; failures: ReplyFailure[]; replies: ReplyRead[] }> {
  const replies: ReplyRead[] = [];
  const tap = replyOutcomeTap(contentType, "7", (reply) => replies.push(reply));
  const out = await text(Readable.from(chunks.map((c) => Buffer.from(c))).pipe(tap));
  const failures = replies.flatMap((reply) => (reply.failure ? [reply.failure] : []));
  return { out, failures, replies };
}

describe("reply outcome", () => {
  it.each<[string, unknown, ReplyFailure | undefined]>([
    ["a JSON-RPC error", { id: 7, error: { code: -32602, message: "bad" } }, { code: -32602, message: "bad" }],
    ["an isError result", { id: "7", result: { isError: true } }, { code: "tool_error", message: expect.any(String) }],
    ["a plain result", { id: 7, result: { content: [] } }, undefined],
    ["another request's error", { id: 8, error: { code: -1, message: "x" } }, undefined],
    ["a notification", { method: "notifications/progress" }, undefined],
    ["not an object", "error", undefined],
  ])("reads %s", (_what, message, expected) => {
    expect(failureOf(message, "7")).toEqual(expected);
  });

  it("finds the response in an SSE stream split across chunks, passing every byte through", async () => {
    const sse = [
      'event: message\ndata: {"method":"notifications/progress"}\n\n',
      'data: {"jsonrpc":"2.0","id":7,"res',
      'ult":{"isError":true,"content":[]}}\n\n',
    ];
    const { out, failures } = await tapped("text/event-stream", sse);
    expect(out).toBe(sse.join(""));
    expect(failures).toEqual([{ code: "tool_error", message: expect.any(String) }]);
  });

  it("reads a JSON reply at its end", async () => {
    const { out, failures } = await tapped("application/json", ['{"id":7,"error":', '{"code":-32000,"message":"m"}}']);
    expect(out).toBe('{"id":7,"error":{"code":-32000,"message":"m"}}');
    expect(failures).toEqual([{ code: -32000, message: "m" }]);
  });

  it("reports nothing for a reply that is not JSON", async () => {
    expect((await tapped("application/json", ["<html>"])).failures).toEqual([]);
  });

  it("reports the response's result once, from JSON or from the SSE event that answers the call", async () => {
    const json = await tapped("application/json", ['{"id":7,"result":{"content":[{"type":"text","text":"sunny"}]}}']);
    expect(json.replies).toEqual([{ failure: undefined, result: { content: [{ type: "text", text: "sunny" }] } }]);
    const sse = await tapped("text/event-stream", [
      'data: {"id":6,"result":{"other":true}}\n\n',
      'data: {"id":7,"result":{"content":[]}}\n\ndata: {"id":7,"result":{"again":1}}\n\n',
    ]);
    expect(sse.replies).toEqual([{ failure: undefined, result: { content: [] } }]);
  });

  it("reads no JSON reply past 1 MiB and no SSE event past 1 MiB (memory stays bounded)", async () => {
    const big = "x".repeat(1024 * 1024);
    expect((await tapped("application/json", [`{"id":7,"result":{"t":"${big}"}}`])).replies).toEqual([]);
    const chunks = [`data: {"id":7,"result":{"t":"${big}`, '"}}\n\n', "data: {}\n\n"];
    const sse = await tapped("text/event-stream", chunks);
    expect(sse.out.length).toBe(chunks.join("").length);
    expect(sse.replies).toEqual([]);
  });
});
