import { setTimeout as sleep } from "node:timers/promises";
import type { AuditEvent } from "./audit-event";
import type { AuditSink } from "./audit-log";
import { EventQueue } from "./event-queue";

/** Counters of one sink; `queued` includes the batch being written, `oldestQueuedAgeMs` is its lag. */
export interface AuditSinkStats {
  name: string;
  queued: number;
  written: number;
  dropped: number;
  failed: number;
  oldestQueuedAgeMs: number;
}

/** Settings of one {@link SinkChannel}, already defaulted by the audit log. */
export interface SinkChannelOptions {
  maxQueue: number;
  batchSize: number;
  flushIntervalMs: number;
  /** Pause before each retry of a failed write; its length is the number of retries. */
  retryDelaysMs: readonly number[];
  onError: (error: unknown, sink: string) => void;
}

interface Waiter {
  target: number;
  resolve: () => void;
}

/**
 * One sink's own queue and writer, so a slow sink never holds back another. Writes are sequential and in order; a
 * batch is the events that piled up while the previous write ran (up to `batchSize`), or what the flush timer finds.
 */
export class SinkChannel {
  private readonly queue: EventQueue;
  private written = 0;
  private dropped = 0;
  private failed = 0;
  // Events are settled (written, failed or dropped) strictly in arrival order, so `settled` counts a prefix of the
  // `accepted` events and a flush only waits for its own prefix, not for events recorded after it.
  private accepted = 0;
  private settled = 0;
  private inFlight = 0;
  private inFlightSince = 0;
  private pumping = false;
  private timer: NodeJS.Timeout | undefined;
  private timerDelay = 0;
  private readonly waiters: Waiter[] = [];

  /** A channel feeding `sink`. */
  constructor(
    readonly sink: AuditSink,
    private readonly options: SinkChannelOptions,
  ) {
    this.queue = new EventQueue(options.maxQueue);
  }

  /** Queues an event without I/O; when full, the oldest queued event is dropped and counted. */
  enqueue(event: AuditEvent, now: number): void {
    if (this.queue.full && this.queue.dropOldest()) {
      this.dropped++;
      this.settle(1);
    }
    this.queue.push(event, now);
    this.accepted++;
    // A running pump picks the event up; otherwise write soon (a full batch) or at the next tick of the flush timer.
    if (!this.pumping) this.schedule(this.queue.size >= this.options.batchSize ? 0 : this.options.flushIntervalMs);
  }

  /** Counts an event refused after close as dropped. */
  refuse(): void {
    this.dropped++;
  }

  /** Current counters; `now` on the `performance.now()` clock. */
  stats(now: number): AuditSinkStats {
    const oldest = this.inFlight > 0 ? this.inFlightSince : this.queue.oldestTime();
    return {
      name: this.sink.name,
      queued: this.queue.size + this.inFlight,
      written: this.written,
      dropped: this.dropped,
      failed: this.failed,
      oldestQueuedAgeMs: oldest === undefined ? 0 : Math.max(0, now - oldest),
    };
  }

  /** Resolves once every event queued before the call is written, failed or dropped. */
  flush(): Promise<void> {
    const target = this.accepted;
    if (this.settled >= target) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.waiters.push({ target, resolve }));
    this.startPump();
    return done;
  }

  /** Flushes, then closes the sink (a close failure is reported, not thrown). */
  async close(): Promise<void> {
    await this.flush();
    clearTimeout(this.timer);
    this.timer = undefined;
    try {
      await this.sink.close();
    } catch (error) {
      this.report(error);
    }
  }

  private schedule(delay: number): void {
    if (this.timer !== undefined && this.timerDelay <= delay) return;
    clearTimeout(this.timer);
    this.timerDelay = delay;
    // Unref'd: a pending audit flush never keeps the process alive (close() holds it open while it flushes).
    this.timer = setTimeout(() => this.startPump(), delay);
    this.timer.unref();
  }

  private startPump(): void {
    if (this.pumping) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pump().catch((error: unknown) => this.report(error));
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      while (this.queue.size > 0) {
        this.inFlightSince = this.queue.oldestTime() ?? 0;
        const batch = this.queue.take(this.options.batchSize);
        this.inFlight = batch.length;
        const ok = await this.deliver(batch);
        this.inFlight = 0;
        if (ok) this.written += batch.length;
        else this.failed += batch.length;
        this.settle(batch.length);
      }
    } finally {
      this.pumping = false;
    }
  }

  // Bounded retries with backoff; the last error is reported and the batch counted as failed. Never throws.
  private async deliver(batch: readonly AuditEvent[]): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.sink.write(batch);
        return true;
      } catch (error) {
        const delay = this.options.retryDelaysMs[attempt];
        if (delay === undefined) {
          this.report(error);
          return false;
        }
        await sleep(delay, undefined, { ref: false });
      }
    }
  }

  private settle(count: number): void {
    this.settled += count;
    while (this.waiters.length > 0 && (this.waiters[0] as Waiter).target <= this.settled) {
      (this.waiters.shift() as Waiter).resolve();
    }
  }

  private report(error: unknown): void {
    try {
      this.options.onError(error, this.sink.name);
    } catch {
      // A throwing error handler must not break the writer loop.
    }
  }
}
