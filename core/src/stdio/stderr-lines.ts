import type { Readable } from "node:stream";
import type { Logger } from "../logging";

/** Longest stderr line kept, in bytes; the rest of a longer line is dropped (a line is never buffered beyond it). */
export const MAX_STDERR_LINE_BYTES = 8 * 1024;
/** stderr lines logged per server per second; more are counted and dropped, and the count is logged. */
export const STDERR_LINES_PER_SECOND = 50;

const NEWLINE = 0x0a;

/**
 * Splits a byte stream into lines holding at most `maxBytes` of each: a process that writes a huge line, or never a
 * newline, costs the gateway at most `maxBytes` of memory. `onLine` gets the kept text and how many bytes were dropped.
 */
export class CappedLineSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  private dropped = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly onLine: (line: string, droppedBytes: number) => void,
  ) {}

  /** Takes the next chunk of the stream. */
  push(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(NEWLINE, start);
      this.keep(chunk.subarray(start, newline === -1 ? chunk.length : newline));
      if (newline === -1) return;
      this.flush();
      start = newline + 1;
    }
  }

  /** The stream ended: a last line without newline is delivered too. */
  end(): void {
    if (this.size > 0 || this.dropped > 0) this.flush();
  }

  private keep(piece: Buffer): void {
    const room = this.maxBytes - this.size;
    if (piece.length > room) this.dropped += piece.length - room;
    const kept = piece.subarray(0, room);
    if (kept.length === 0) return;
    // A copy: a view would keep the whole chunk alive.
    this.parts.push(Buffer.from(kept));
    this.size += kept.length;
  }

  private flush(): void {
    const line = Buffer.concat(this.parts).toString("utf8").replace(/\r$/, "");
    const dropped = this.dropped;
    this.parts = [];
    this.size = 0;
    this.dropped = 0;
    this.onLine(line, dropped);
  }
}

/** At most `perSecond` lines a second (a fixed one-second window); counts what it refuses. */
export class LineBudget {
  private windowStart = 0;
  private used = 0;
  private refused = 0;

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether a line may be logged now, and how many were refused since the last one that was (then reset). */
  take(): { allowed: boolean; refusedBefore: number } {
    const now = this.now();
    if (now - this.windowStart >= 1_000) {
      this.windowStart = now;
      this.used = 0;
    }
    if (this.used >= this.perSecond) {
      this.refused += 1;
      return { allowed: false, refusedBefore: 0 };
    }
    this.used += 1;
    return { allowed: true, refusedBefore: this.drain() };
  }

  /** How many lines were refused since the last call or allowed line (then reset). */
  drain(): number {
    const refused = this.refused;
    this.refused = 0;
    return refused;
  }
}

/** Logs a process's stderr line by line (`stdio server stderr`), each capped in bytes, at most `budget`'s rate. */
export function logStderr(stream: Readable, logger: Logger, server: string, budget: LineBudget): void {
  const reportRefused = (lines: number): void => {
    if (lines > 0) logger.warn("stdio server stderr lines dropped (rate limit)", { server, lines });
  };
  const splitter = new CappedLineSplitter(MAX_STDERR_LINE_BYTES, (line, droppedBytes) => {
    const { allowed, refusedBefore } = budget.take();
    reportRefused(refusedBefore);
    if (!allowed) return;
    logger.info("stdio server stderr", { server, line, ...(droppedBytes > 0 ? { droppedBytes } : {}) });
  });
  stream.on("data", (chunk: Buffer | string) => splitter.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk));
  stream.on("end", () => {
    splitter.end();
    reportRefused(budget.drain());
  });
}
