import { createParser, type EventSourceParser } from "eventsource-parser";
import { replyFormat } from "../routing/reply-format";
import { MAX_REPLY_BYTES } from "../upstream/upstream-http";
import type { AuditOutcome } from "./audit-event";

// A response (no method) with a result or an error; requests and notifications on an SSE reply are not outcomes.
function outcomeOf(message: unknown): AuditOutcome | undefined {
  if (typeof message !== "object" || message === null || Array.isArray(message)) return undefined;
  const record = message as Record<string, unknown>;
  if (record["method"] !== undefined) return undefined;
  if (record["error"] !== undefined) return "jsonrpc_error";
  const result = record["result"];
  if (result === undefined) return undefined;
  const isError = typeof result === "object" && result !== null && (result as { isError?: unknown }).isError === true;
  return isError ? "tool_error" : "ok";
}

function parsed(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Reads a routed call's reply as it streams past (never changing it) to tell the audit log how the call ended: the
 * first JSON-RPC response in it, JSON or SSE. Memory is bounded: a JSON body is kept only up to MAX_REPLY_BYTES and
 * an SSE event past it is dropped (the outcome then stays unknown); once the response is seen nothing more is kept.
 */
export class ReplyOutcomeScanner {
  private found: AuditOutcome | undefined;
  private readonly sse: EventSourceParser | undefined;
  private readonly decoder = new TextDecoder("utf-8");
  private json: Buffer[] | undefined;
  private size = 0;

  /** A scanner for a reply with these (lower-cased) response headers; a compressed or other body is not read. */
  constructor(headers: Readonly<Record<string, string | undefined>>) {
    const format = replyFormat(headers);
    if (format.encoded) return;
    if (format.kind === "sse") {
      this.sse = createParser({
        onEvent: (event) => {
          this.found ??= outcomeOf(parsed(event.data));
        },
        maxBufferSize: MAX_REPLY_BYTES,
      });
    } else if (format.kind === "json") this.json = [];
  }

  /** Reads the next chunk of the reply. */
  push(chunk: Buffer | Uint8Array): void {
    if (this.found !== undefined) return;
    if (this.sse) {
      this.sse.feed(this.decoder.decode(chunk, { stream: true }));
    } else if (this.json) {
      this.size += chunk.length;
      if (this.size > MAX_REPLY_BYTES) this.json = undefined;
      else this.json.push(Buffer.from(chunk));
    }
  }

  /** The outcome once the reply has ended; null when no response was read. */
  outcome(): AuditOutcome | null {
    if (this.found === undefined && this.json) {
      this.found = outcomeOf(parsed(this.decoder.decode(Buffer.concat(this.json))));
      this.json = undefined;
    }
    return this.found ?? null;
  }
}

/** The outcome of a result the gateway holds as a value (a bridged call): `tool_error` when it has `isError: true`. */
export function resultOutcome(result: unknown): AuditOutcome {
  return outcomeOf({ result }) ?? "ok";
}
