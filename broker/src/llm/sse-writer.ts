import type { Response } from "express";

/** Writes server-sent events to the client, flushed as they are written. */
export class SseWriter {
  private started = false;

  constructor(private readonly response: Response) {}

  /** Whether the SSE headers went out (later errors go into the stream). */
  get open(): boolean {
    return this.started;
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    this.response.status(200);
    this.response.setHeader("content-type", "text/event-stream; charset=utf-8");
    this.response.setHeader("cache-control", "no-cache");
    this.response.setHeader("x-accel-buffering", "no");
    this.response.flushHeaders();
  }

  /** `data: <json or text>` (Chat Completions' form: no event names). */
  data(payload: unknown): void {
    this.start();
    this.response.write(`data: ${typeof payload === "string" ? payload : JSON.stringify(payload)}\n\n`);
  }

  /**
   * `event: <type>` and its JSON data (the Responses API's form). The type may come from the provider: anything but
   * an event-name character (a CR or LF would start a new line of the client's stream) becomes `_`.
   */
  event(type: string, payload: unknown): void {
    this.start();
    this.response.write(`event: ${type.replace(/[^A-Za-z0-9._-]/g, "_")}\ndata: ${JSON.stringify(payload)}\n\n`);
  }

  /** Ends the stream. */
  end(): void {
    this.start();
    this.response.end();
  }
}
