import { GatewayError, JsonRpcErrorCode } from "../errors";

/** One counted key of a {@link SlotBudget}: at most `limit` slots may be held under `key` at once. */
export interface SlotClaim {
  key: string;
  limit: number;
  /** Names the limit for the refusal message ("notification streams of consumer \"alice\""). */
  what: string;
}

/** Gives back a slot taken from a {@link SlotBudget}; calling it more than once is harmless. */
export type ReleaseSlot = () => void;

/**
 * Counts long-lived holdings (open streams, calls in flight) per key and refuses past a limit. Counts are per process:
 * every gateway replica enforces its own. Keys come from trusted names (consumer, session id), kept in a `Map`.
 */
export class SlotBudget {
  private readonly counts = new Map<string, number>();

  /** Slots held under `key` now. */
  held(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  /** Takes one slot under every claim, or none: returns the release, or the first claim that is full. */
  tryTake(claims: readonly SlotClaim[]): ReleaseSlot | SlotClaim {
    const full = claims.find((claim) => this.held(claim.key) >= claim.limit);
    if (full) return full;
    for (const claim of claims) this.counts.set(claim.key, this.held(claim.key) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const claim of claims) this.giveBack(claim.key);
    };
  }

  private giveBack(key: string): void {
    const left = this.held(key) - 1;
    if (left > 0) this.counts.set(key, left);
    else this.counts.delete(key);
  }
}

/** How long a client refused for a full budget should wait before trying again (streams and calls end on their own). */
export const SLOT_RETRY_AFTER_SECONDS = 5;

/**
 * Takes the slots or throws HTTP 429 with JSON-RPC -31006 naming the full limit and a `Retry-After`: the refusal a
 * client gets for too many open streams or calls in flight.
 */
export function takeSlots(
  budget: SlotBudget,
  claims: readonly SlotClaim[],
  id: string | number | null = null,
): ReleaseSlot {
  const taken = budget.tryTake(claims);
  if (typeof taken === "function") return taken;
  throw new GatewayError(
    JsonRpcErrorCode.RateLimited,
    `too many ${taken.what} (limit ${taken.limit}); close one or retry later`,
    { httpStatus: 429, id, headers: { "retry-after": String(SLOT_RETRY_AFTER_SECONDS) } },
  );
}
