import type { AuditDecision, AuditEvent } from "./audit-event";
import type { AuditSink } from "./audit-log";

/** The decisions an {@link AuditTapFilter} may name. */
export const AUDIT_DECISIONS: readonly AuditDecision[] = [
  "allowed",
  "denied",
  "rate_limited",
  "unauthenticated",
  "rejected",
];

/** Which events a tail wants: every field given must equal the event's (exact match); none given: every event. */
export interface AuditTapFilter {
  consumer?: string;
  server?: string;
  decision?: AuditDecision;
}

/** One attached tail of an {@link AuditTap}; `close` detaches it. */
export interface AuditTapSubscription {
  close(): void;
}

/** Thrown by {@link AuditTap.subscribe} when `maxTails` tails are already attached. */
export class AuditTapFullError extends Error {
  constructor(readonly maxTails: number) {
    super(`too many audit tails (at most ${maxTails} at once)`);
    this.name = "AuditTapFullError";
  }
}

interface Tail {
  filter: AuditTapFilter;
  deliver: (event: AuditEvent) => void;
}

function matches(filter: AuditTapFilter, event: AuditEvent): boolean {
  return (
    (filter.consumer === undefined || filter.consumer === event.consumer) &&
    (filter.server === undefined || filter.server === event.server) &&
    (filter.decision === undefined || filter.decision === event.decision)
  );
}

/**
 * An audit sink that hands each event (already redacted and hashed by the audit pipeline) to live tails, the admin
 * API's `/audit/stream`. It keeps nothing: a tail that is not attached when an event is written never sees it, and
 * each tail bounds its own buffer (see the admin stream). At most `maxTails` tails at once.
 */
export class AuditTap implements AuditSink {
  readonly name = "live-tail";
  private readonly tails = new Set<Tail>();

  /** A tap admitting at most `maxTails` tails at once. */
  constructor(readonly maxTails: number) {}

  /** Attaches a tail; throws {@link AuditTapFullError} when `maxTails` are attached already. */
  subscribe(filter: AuditTapFilter, deliver: (event: AuditEvent) => void): AuditTapSubscription {
    if (this.tails.size >= this.maxTails) throw new AuditTapFullError(this.maxTails);
    const tail: Tail = { filter: { ...filter }, deliver };
    this.tails.add(tail);
    return { close: () => void this.tails.delete(tail) };
  }

  /** How many tails are attached. */
  get size(): number {
    return this.tails.size;
  }

  /** Hands every event of `batch` to the tails whose filter it matches; a tail that throws is detached. */
  write(batch: readonly AuditEvent[]): Promise<void> {
    for (const event of batch) {
      for (const tail of [...this.tails]) {
        if (!matches(tail.filter, event)) continue;
        try {
          tail.deliver(event);
        } catch {
          this.tails.delete(tail);
        }
      }
    }
    return Promise.resolve();
  }

  /** Detaches every tail. */
  close(): Promise<void> {
    this.tails.clear();
    return Promise.resolve();
  }
}
