import { createParser, type EventSourceMessage } from "eventsource-parser";

/**
 * The events an MCP SDK client reads from SSE bytes, the way the SDK reads them: the bytes decoded by a
 * `TextDecoder` (which drops a leading BOM), then parsed by `eventsource-parser` (the SDK's own SSE parser). Used as
 * the reference the gateway's SSE handling is compared with; test code only.
 */
export function clientEvents(bytes: Uint8Array): EventSourceMessage[] {
  const events: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => events.push(event) });
  parser.feed(new TextDecoder().decode(bytes));
  return events;
}

/** Splits `bytes` at the given positions (taken modulo the length, duplicates ignored): chunks as a network gives. */
export function splitAt(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  if (bytes.length === 0) return [bytes];
  const positions = [...new Set(cuts.map((cut) => cut % bytes.length))].filter((p) => p > 0).sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const position of positions) {
    chunks.push(bytes.subarray(start, position));
    start = position;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}

/** The bytes a piecewise rewriter makes of `chunks`: each chunk's output, then what `end()` gives. */
export function rewriteChunks(
  rewriter: { push(chunk: Buffer): Buffer; end(): Buffer },
  chunks: readonly Buffer[],
): Buffer {
  return Buffer.concat([...chunks.map((chunk) => rewriter.push(chunk)), rewriter.end()]);
}
