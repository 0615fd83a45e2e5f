import { Readable } from "node:stream";
import { text } from "node:stream/consumers";
import { failureOf, replyOutcomeTap, type ReplyFailure } from "./reply-outcome";

async function tapped(contentType: string, chunks: string[]): Promise<{ out: string; failures: ReplyFailure[] }> {
  const failures: ReplyFailure[] = [];
  const tap = replyOutcomeTap(contentType, "7", (failure) => failures.push(failure));
  const out = await text(Readable.from(chunks.map((c) => Buffer.from(c))).pipe(tap));
  return { out, failures };
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
});
