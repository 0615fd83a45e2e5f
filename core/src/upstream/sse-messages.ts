import { createParser } from "eventsource-parser";
import { MAX_REPLY_BYTES } from "./upstream-http";

/**
 * Reads a live SSE body (an upstream's GET notification stream) and hands each event's data that parses as a JSON
 * object to `onMessage`, in order, until the body ends; an event over MAX_REPLY_BYTES ends the read with an error.
 * Events that are not JSON objects (keep-alive comments, garbage) are skipped: the caller decides what it trusts.
 */
export async function readSseMessages(
  body: AsyncIterable<Buffer | Uint8Array>,
  onMessage: (message: Record<string, unknown>) => void,
): Promise<void> {
  const decoder = new TextDecoder("utf-8");
  let failure: Error | undefined;
  const parser = createParser({
    onEvent: (event) => {
      let value: unknown;
      try {
        value = JSON.parse(event.data) as unknown;
      } catch {
        return;
      }
      if (value !== null && typeof value === "object" && !Array.isArray(value)) {
        onMessage(value as Record<string, unknown>);
      }
    },
    onError: (error) => {
      if (error.type === "max-buffer-size-exceeded") failure = error;
    },
    maxBufferSize: MAX_REPLY_BYTES,
  });
  for await (const chunk of body) {
    parser.feed(decoder.decode(chunk, { stream: true }));
    if (failure) throw failure;
  }
}
