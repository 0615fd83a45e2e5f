import { createParser, type EventSourceMessage } from "eventsource-parser";
import { tailQuery, type TailFilter } from "./audit-tail-query";

export type { TailFilter } from "./audit-tail-query";

/** One audit event as `/audit/stream` sends it (core/src/audit/audit-event.ts); secrets never among them. */
export interface TailEvent {
  time: string;
  actor?: string;
  consumer: string | null;
  method: string;
  server: string | null;
  target: string | null;
  decision: string;
  reason: string | null;
  upstreamStatus: number | null;
  latencyMs: number | null;
}

/** What {@link followAuditTail} tells its caller: the tail is attached (`onOpen`), then each event. */
export interface TailHandlers {
  onOpen: () => void;
  onEvent: (event: TailEvent) => void;
}

/**
 * Follows the admin API's live audit tail: fetch (the token in the Authorization header; EventSource cannot send
 * one, and the token must never be in a URL) read as Server-Sent Events by eventsource-parser. Resolves when the
 * stream ends; rejects with the API's refusal (`HTTP <status>: <error>`) or when `signal` aborts.
 */
export async function followAuditTail(
  token: string,
  filter: TailFilter,
  handlers: TailHandlers,
  signal: AbortSignal,
): Promise<void> {
  const response = await fetch(`/audit/stream${tailQuery(filter)}`, {
    headers: { authorization: `Bearer ${token}`, accept: "text/event-stream" },
    cache: "no-store",
    credentials: "omit",
    signal,
  });
  if (!response.ok || !response.body) {
    const text = await response.text();
    let message = text;
    try {
      const body = JSON.parse(text) as { error?: unknown };
      if (typeof body.error === "string") message = body.error;
    } catch {
      // not JSON: show the text as it came
    }
    throw new Error(`HTTP ${response.status}: ${message}`);
  }
  handlers.onOpen();
  const parser = createParser({
    onEvent: (message: EventSourceMessage) => {
      if (message.event === "audit") handlers.onEvent(JSON.parse(message.data) as TailEvent);
    },
  });
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    parser.feed(value);
  }
}
