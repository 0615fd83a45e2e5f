import type { ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import type { TurnTiming } from "./openai-provider-turns.js";

/** One server-sent event: an optional `event:` line and its `data:` line. */
export interface SseEvent {
  event?: string;
  data: string;
}

const format = (e: SseEvent) => `${e.event === undefined ? "" : `event: ${e.event}\n`}data: ${e.data}\n\n`;

function flushWrite(res: ServerResponse, chunk: string): Promise<void> {
  return new Promise((resolve) => res.write(chunk, () => resolve()));
}

/**
 * Streams `events` as `text/event-stream`, each written (and flushed) on its own, honouring the turn's timing:
 * pauses between events, a stall after `stallAfterEvents`, a dropped connection after `dropAfterEvents`.
 * `signal` aborts any wait (client gone or provider closing); the stream then just stops.
 */
export async function writeSse(
  res: ServerResponse,
  events: SseEvent[],
  timing: TurnTiming,
  signal: AbortSignal,
): Promise<void> {
  res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" });
  res.flushHeaders();
  for (const [index, event] of events.entries()) {
    if (timing.dropAfterEvents === index) {
      res.socket?.destroy();
      return;
    }
    if (timing.stallAfterEvents === index && timing.stallMs) await sleep(timing.stallMs, undefined, { signal });
    else if (index > 0 && timing.eventIntervalMs) await sleep(timing.eventIntervalMs, undefined, { signal });
    await flushWrite(res, format(event));
  }
  res.end();
}

/**
 * `events` cut after `afterEvents` and ended by OpenAI's in-stream error: Chat Completions sends `data: {"error": …}`
 * (no event name); the Responses API an `error` event numbered after the ones sent.
 */
export function failStream(events: SseEvent[], afterEvents: number, message: string, chat: boolean): SseEvent[] {
  const sent = events.slice(0, afterEvents);
  if (chat)
    return [...sent, { data: JSON.stringify({ error: { message, type: "server_error", param: null, code: null } }) }];
  const error = { type: "error", code: "server_error", message, param: null, sequence_number: sent.length };
  return [...sent, { event: "error", data: JSON.stringify(error) }];
}
