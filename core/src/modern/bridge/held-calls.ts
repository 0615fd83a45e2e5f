import { GatewayError, JsonRpcErrorCode, type JsonRpcId } from "../../errors";
import type { BridgedCall } from "./bridged-call";

/** Bounds of a {@link HeldCalls} registry (read at every hold, so reloads apply). */
export interface HeldCallLimits {
  maxHeldCalls: number;
  maxHeldCallsPerConsumer: number;
}

interface Entry {
  call: BridgedCall;
  consumer: string;
  /** A retry of it is being handled: no second retry may claim it, and it does not expire meanwhile. */
  busy: boolean;
  timer: NodeJS.Timeout | undefined;
}

/** Why a held call could not be claimed. */
export type ClaimRefusal = "absent" | "busy" | "stale";

/**
 * The upstream calls of this process waiting for modern clients to answer their input requests (their reply streams
 * stay open), bounded in total and per consumer. An idle entry expires with its requestState: the call is cancelled
 * upstream and forgotten. Entries are found by the id sealed into the state; a state valid on another replica, or
 * from before a restart, finds nothing here.
 */
export class HeldCalls {
  private readonly entries = new Map<string, Entry>();
  private readonly perConsumer = new Map<string, number>();

  constructor(private readonly limits: () => HeldCallLimits) {}

  /** Calls held now (idle or being resumed). */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Holds `call` until `ttlMs` from now (a new entry, or one whose retry just asked again). A new entry past a limit
   * is refused with 429 naming it; the caller then cancels the call.
   */
  hold(call: BridgedCall, consumer: string, ttlMs: number, id: JsonRpcId): void {
    let entry = this.entries.get(call.id);
    if (entry === undefined) {
      this.admit(consumer, id);
      entry = { call, consumer, busy: false, timer: undefined };
      this.entries.set(call.id, entry);
      this.perConsumer.set(consumer, (this.perConsumer.get(consumer) ?? 0) + 1);
    }
    entry.busy = false;
    this.arm(entry, ttlMs);
  }

  /** Takes the call a retry continues, if it is here, idle, owned by `consumer` and at `round`; it is then busy. */
  claim(callId: string, consumer: string, round: number): BridgedCall | ClaimRefusal {
    const entry = this.entries.get(callId);
    if (entry === undefined || entry.consumer !== consumer) return "absent";
    if (entry.busy) return "busy";
    if (entry.call.round !== round) return "stale";
    entry.busy = true;
    clearTimeout(entry.timer);
    return entry.call;
  }

  /** Forgets a call (it completed, failed or was cancelled). */
  release(call: BridgedCall): void {
    const entry = this.entries.get(call.id);
    if (entry === undefined) return;
    clearTimeout(entry.timer);
    this.entries.delete(call.id);
    const left = (this.perConsumer.get(entry.consumer) ?? 1) - 1;
    if (left > 0) this.perConsumer.set(entry.consumer, left);
    else this.perConsumer.delete(entry.consumer);
  }

  /** Cancels and forgets every held call (shutdown). */
  close(): void {
    for (const entry of [...this.entries.values()]) {
      entry.call.cancel("the gateway is shutting down");
      this.release(entry.call);
    }
  }

  private admit(consumer: string, id: JsonRpcId): void {
    const { maxHeldCalls, maxHeldCallsPerConsumer } = this.limits();
    const mine = this.perConsumer.get(consumer) ?? 0;
    const [limit, key, what] =
      mine >= maxHeldCallsPerConsumer
        ? [maxHeldCallsPerConsumer, "maxHeldCallsPerConsumer", `consumer ${JSON.stringify(consumer)} has`]
        : [maxHeldCalls, "maxHeldCalls", "this gateway process has"];
    if (mine < maxHeldCallsPerConsumer && this.entries.size < maxHeldCalls) return;
    throw new GatewayError(
      JsonRpcErrorCode.RateLimited,
      `${what} ${limit} calls waiting for input, its limit (limits.${key}); answer or abandon one first`,
      { httpStatus: 429, id, headers: { "retry-after": "5" }, data: { retryAfter: 5 } },
    );
  }

  private arm(entry: Entry, ttlMs: number): void {
    clearTimeout(entry.timer);
    entry.timer = setTimeout(() => {
      entry.call.cancel("the client did not answer its input requests in time (sessions.requestStateTtl)");
      this.release(entry.call);
    }, ttlMs);
    entry.timer.unref();
  }
}
