import { MAX_REPLY_BYTES } from "../upstream/upstream-http";
import { ReplyOutcomeScanner, resultOutcome } from "./reply-outcome";

const JSON_HEADERS = { "content-type": "application/json" };
const SSE_HEADERS = { "content-type": "text/event-stream" };
const reply = (result: unknown): string => JSON.stringify({ jsonrpc: "2.0", id: 1, result });

function scan(headers: Record<string, string>, chunks: string[]): string | null {
  const scanner = new ReplyOutcomeScanner(headers);
  for (const chunk of chunks) scanner.push(Buffer.from(chunk));
  return scanner.outcome();
}

describe("ReplyOutcomeScanner", () => {
  it.each<[string, Record<string, string>, string[], string | null]>([
    ["a JSON result", JSON_HEADERS, [reply({ content: [] })], "ok"],
    [
      "a JSON result with isError, split over chunks",
      JSON_HEADERS,
      ['{"jsonrpc":"2.0","id":1,"resu', 'lt":{"isError":true}}'],
      "tool_error",
    ],
    [
      "a JSON-RPC error",
      JSON_HEADERS,
      ['{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"x"}}'],
      "jsonrpc_error",
    ],
    ["isError not true", JSON_HEADERS, [reply({ isError: "yes" })], "ok"],
    [
      "an SSE result after a progress notification",
      SSE_HEADERS,
      [
        'event: message\ndata: {"jsonrpc":"2.0","method":"notifications/progress","params":{}}\n\n',
        `data: ${reply({ isError: true })}\n\n`,
      ],
      "tool_error",
    ],
    [
      "an SSE event split across chunks",
      SSE_HEADERS,
      ['data: {"jsonrpc":"2.0","id":1,', '"result":{"isError":true}}\n', "\n"],
      "tool_error",
    ],
    [
      "an SSE reply cut before its result",
      SSE_HEADERS,
      ['data: {"jsonrpc":"2.0","method":"notifications/progress"}\n\n'],
      null,
    ],
    ["unparseable JSON", JSON_HEADERS, ["{not json"], null],
    ["a body neither JSON nor SSE", { "content-type": "text/plain" }, [reply({})], null],
    ["a compressed body", { ...JSON_HEADERS, "content-encoding": "gzip" }, [reply({})], null],
  ])("%s", (_case, headers, chunks, expected) => {
    expect(scan(headers, chunks)).toBe(expected);
  });

  it("stops keeping a JSON body past MAX_REPLY_BYTES (outcome unknown, memory bounded)", () => {
    const scanner = new ReplyOutcomeScanner(JSON_HEADERS);
    scanner.push(Buffer.from('{"jsonrpc":"2.0","id":1,"result":{"content":"'));
    scanner.push(Buffer.alloc(MAX_REPLY_BYTES, "a"));
    scanner.push(Buffer.from('"}}'));
    expect(scanner.outcome()).toBeNull();
  });
});

describe("resultOutcome", () => {
  it.each([
    [{ isError: true }, "tool_error"],
    [{ isError: false }, "ok"],
    [{}, "ok"],
  ])("%j is %s", (result, expected) => {
    expect(resultOutcome(result)).toBe(expected);
  });
});
