import type { ReleaseSlot } from "../policy/slot-budget";

interface Waiter {
  grant(release: ReleaseSlot): void;
}

interface Pool {
  inUse: number;
  /** Callers waiting for a slot, oldest first (a Set keeps insertion order and drops a given-up waiter in O(1)). */
  waiting: Set<Waiter>;
}

/**
 * Connection slots for upstream calls, per key (an upstream origin): at most `limit` calls hold one at once, the others
 * wait in arrival order, each only until its own signal aborts (its deadline, or its client went away). A slot is held
 * for the request's whole life, response body included, as the connection under it is; the agent under these slots
 * then never queues a request where no deadline reaches it.
 */
export class ConnectionSlots {
  private readonly pools = new Map<string, Pool>();

  constructor(readonly limit: number) {}

  /** Calls holding a slot under `key` now. */
  inUse(key: string): number {
    return this.pools.get(key)?.inUse ?? 0;
  }

  /** Calls waiting for a slot under `key` now. */
  queued(key: string): number {
    return this.pools.get(key)?.waiting.size ?? 0;
  }

  /** A slot under `key`: at once when one is free, else when one frees up; rejects with the signal's reason. */
  acquire(key: string, signal: AbortSignal): ReleaseSlot | Promise<ReleaseSlot> {
    if (signal.aborted) return Promise.reject(signal.reason as Error);
    const free = this.tryAcquire(key);
    if (free) return free;
    const waiting = (this.pools.get(key) as Pool).waiting;
    return new Promise<ReleaseSlot>((resolve, reject) => {
      const onAbort = (): void => {
        waiting.delete(waiter);
        this.dropIfIdle(key);
        reject(signal.reason as Error);
      };
      const waiter: Waiter = {
        grant: (release) => {
          signal.removeEventListener("abort", onAbort);
          resolve(release);
        },
      };
      waiting.add(waiter);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** A slot under `key` if one is free and nobody waits for one (no signal needed then); undefined otherwise. */
  tryAcquire(key: string): ReleaseSlot | undefined {
    let pool = this.pools.get(key);
    if (!pool) this.pools.set(key, (pool = { inUse: 0, waiting: new Set() }));
    if (pool.inUse >= this.limit || pool.waiting.size > 0) return undefined;
    pool.inUse += 1;
    return this.releaser(key, pool);
  }

  /** Gives a slot back once: to the oldest waiter if any (the slot stays in use), else to the pool. */
  private releaser(key: string, pool: Pool): ReleaseSlot {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const [next] = pool.waiting;
      if (next) {
        pool.waiting.delete(next);
        next.grant(this.releaser(key, pool));
        return;
      }
      pool.inUse -= 1;
      this.dropIfIdle(key);
    };
  }

  private dropIfIdle(key: string): void {
    const pool = this.pools.get(key);
    if (pool && pool.inUse === 0 && pool.waiting.size === 0) this.pools.delete(key);
  }
}
