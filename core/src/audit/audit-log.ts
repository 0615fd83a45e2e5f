import { performance } from "node:perf_hooks";
import type { AuditEvent } from "./audit-event";
import { SinkChannel, type AuditSinkStats } from "./sink-channel";

/** Where audit events end up. `write` is never called concurrently on one sink and may reject (it is retried). */
export interface AuditSink {
  readonly name: string;
  write(batch: readonly AuditEvent[]): Promise<void>;
  close(): Promise<void>;
}

/** Tuning of an {@link AuditLog}; every field has a default. */
export interface AuditLogOptions {
  /** Events queued per sink before the oldest is dropped (default 10 000). */
  maxQueue?: number;
  /** Most events per sink write (default 100). */
  batchSize?: number;
  /** Longest an event waits for a batch to fill before it is written (default 200 ms). */
  flushIntervalMs?: number;
  /** Pause before each retry of a failed write (default 100 ms then 500 ms: three attempts in all). */
  retryDelaysMs?: readonly number[];
  /** Told about every batch that failed after its retries and every sink that failed to close. */
  onError?: (error: unknown, sink: string) => void;
}

/** Totals over all sinks (each sink counts its own copy of an event), plus each sink's own counters. */
export interface AuditLogStats {
  queued: number;
  written: number;
  dropped: number;
  failed: number;
  /** Refusals not recorded because their consumer's refusal budget was spent (counted once, not per sink). */
  suppressed: number;
  /** Age of the oldest event not yet written by some sink: the log's lag. */
  oldestQueuedAgeMs: number;
  sinks: AuditSinkStats[];
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`audit ${name} must be a positive integer: ${value}`);
  return value;
}

function reportToStderr(error: unknown, sink: string): void {
  const message = error instanceof Error ? error.message : String(error);
  const line = { time: new Date().toISOString(), level: "error", msg: "audit write failed", sink, error: message };
  process.stderr.write(`${JSON.stringify(line)}\n`);
}

/**
 * The audit log: `record` only queues (no I/O, no await, never throws) and each sink drains its own queue in the
 * background, so auditing is never on a request's critical path and a slow sink never stalls requests or other sinks.
 * Delivery is at least once while the process lives: a write retried after a partial failure may repeat events.
 */
export class AuditLog {
  private readonly channels: SinkChannel[];
  private suppressedCount = 0;
  private closing: Promise<void> | undefined;

  /** A log feeding every sink in `sinks`. */
  constructor(sinks: readonly AuditSink[], options: AuditLogOptions = {}) {
    const flushIntervalMs = options.flushIntervalMs ?? 200;
    if (!(flushIntervalMs >= 0)) throw new RangeError(`audit flushIntervalMs must be >= 0: ${flushIntervalMs}`);
    const settings = {
      maxQueue: positiveInteger("maxQueue", options.maxQueue ?? 10_000),
      batchSize: positiveInteger("batchSize", options.batchSize ?? 100),
      flushIntervalMs,
      retryDelaysMs: options.retryDelaysMs ?? [100, 500],
      onError: options.onError ?? reportToStderr,
    };
    this.channels = sinks.map((sink) => new SinkChannel(sink, settings));
  }

  /** Queues `event` for every sink: synchronous, O(1) per sink, never throws; after close it is counted as dropped. */
  record(event: AuditEvent): void {
    try {
      if (this.closing) {
        for (const channel of this.channels) channel.refuse();
        return;
      }
      const now = performance.now();
      for (const channel of this.channels) channel.enqueue(event, now);
    } catch {
      // Nothing above is expected to throw; auditing must never fail a request even if it does.
    }
  }

  /** Counts an event deliberately not recorded (a refusal past its consumer's refusal budget). */
  suppress(): void {
    this.suppressedCount += 1;
  }

  /** Current counters, summed over sinks. */
  stats(): AuditLogStats {
    const now = performance.now();
    const sinks = this.channels.map((channel) => channel.stats(now));
    const total: AuditLogStats = {
      queued: 0,
      written: 0,
      dropped: 0,
      failed: 0,
      suppressed: this.suppressedCount,
      oldestQueuedAgeMs: 0,
      sinks,
    };
    for (const s of sinks) {
      total.queued += s.queued;
      total.written += s.written;
      total.dropped += s.dropped;
      total.failed += s.failed;
      total.oldestQueuedAgeMs = Math.max(total.oldestQueuedAgeMs, s.oldestQueuedAgeMs);
    }
    return total;
  }

  /** Resolves once every event recorded before the call has been written (or failed, or dropped) by every sink. */
  async flush(): Promise<void> {
    await Promise.all(this.channels.map((channel) => channel.flush()));
  }

  /** Stops accepting events, writes everything still queued, then closes the sinks. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    // The flush timers and retry pauses are unref'd; this keeps the process alive until the final flush is done.
    const keepAlive = setInterval(() => undefined, 60_000);
    try {
      await Promise.all(this.channels.map((channel) => channel.close()));
    } finally {
      clearInterval(keepAlive);
    }
  }
}
