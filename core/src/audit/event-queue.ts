import type { AuditEvent } from "./audit-event";

/**
 * A bounded FIFO ring of audit events with their enqueue times. Push and drop are O(1) and allocate nothing, so the
 * request path pays no more than two array stores per sink.
 */
export class EventQueue {
  private readonly events: (AuditEvent | undefined)[];
  private readonly times: Float64Array;
  private head = 0;
  private count = 0;

  /** A queue holding at most `capacity` events (at least one). */
  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`audit queue capacity must be >= 1: ${capacity}`);
    this.events = new Array<AuditEvent | undefined>(capacity).fill(undefined);
    this.times = new Float64Array(capacity);
  }

  /** Number of queued events. */
  get size(): number {
    return this.count;
  }

  /** Whether the next push would have to drop the oldest event first. */
  get full(): boolean {
    return this.count === this.capacity;
  }

  /** Enqueue time (ms, `performance.now()` clock) of the oldest event; undefined when empty. */
  oldestTime(): number | undefined {
    return this.count === 0 ? undefined : this.times[this.head];
  }

  /** Appends an event; the caller makes room first when {@link full}. */
  push(event: AuditEvent, now: number): void {
    const tail = (this.head + this.count) % this.capacity;
    this.events[tail] = event;
    this.times[tail] = now;
    this.count++;
  }

  /** Removes the oldest event; false when empty. */
  dropOldest(): boolean {
    if (this.count === 0) return false;
    this.events[this.head] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.count--;
    return true;
  }

  /** Removes and returns up to `max` of the oldest events, in order. */
  take(max: number): AuditEvent[] {
    const n = Math.min(max, this.count);
    const batch = new Array<AuditEvent>(n);
    for (let i = 0; i < n; i++) {
      batch[i] = this.events[this.head] as AuditEvent;
      this.dropOldest();
    }
    return batch;
  }
}
