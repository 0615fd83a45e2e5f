import {
  describeError,
  scrubPassword,
  type Caller,
  type ConsumerRecord,
  type ConsumerStore,
  type GatewayContext,
  type Logger,
} from "@mcp-gateway/core";

/**
 * How often the broker re-reads its connected admin-API consumers: the consumer registry's lookup cache TTL (2 s), the
 * longest another process's policy change or revocation already takes to reach a request here.
 */
export const CONSUMER_WATCH_INTERVAL_MS = 2000;

/** Store reads in flight at once, so a broker holding streams of many consumers does not flood the store. */
const BATCH = 32;

/** What {@link ConsumerWatch} reads and tells. */
export interface ConsumerWatchDeps {
  store: Pick<ConsumerStore, "get">;
  /**
   * The policy each open stream of a store consumer is held to now, by consumer name (one entry per stream; callers
   * of consumers the config defines, and JWT or anonymous callers, are left out: a reload changes those).
   */
  connected(): Iterable<[consumer: string, policy: string]>;
  /** The consumer's policy was changed in the store (by any process): tell its streams what they now see. */
  onPolicyChanged(consumer: string, policy: string): void;
  /** The consumer was revoked (or is gone from the store): end its streams. */
  onRevoked(consumer: string): void;
  /**
   * A store read failed (the next round tries again): told once per outage, at its first failed round, not per read,
   * so a store that is down does not flood the log every interval.
   */
  onError(error: unknown): void;
  intervalMs?: number;
}

/**
 * One loop per broker: every interval, while streams of admin-API consumers are open, it reads each such consumer once
 * from the shared store, whatever the number of its streams, and reports policy changes and revocations made by any
 * process (the admin API may run in a router, or in another replica). Nothing is read while no such stream is open.
 */
export class ConsumerWatch {
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** True from a round with a failed read until a round without one. */
  private failing = false;

  constructor(private readonly deps: ConsumerWatchDeps) {}

  /** Starts the loop (the timer does not keep the process alive). */
  start(): void {
    this.schedule();
  }

  /** Stops the loop; a round in progress finishes without reporting. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  /** One round: reads every connected store consumer and reports what changed since its streams were told. */
  async check(): Promise<void> {
    const held = new Map<string, Set<string>>();
    for (const [consumer, policy] of this.deps.connected()) {
      let policies = held.get(consumer);
      if (!policies) held.set(consumer, (policies = new Set()));
      policies.add(policy);
    }
    const names = [...held.keys()];
    const failures: unknown[] = [];
    for (let start = 0; start < names.length; start += BATCH) {
      const batch = names.slice(start, start + BATCH);
      const records = await Promise.all(batch.map((name) => this.read(name, failures)));
      if (this.closed) return;
      batch.forEach((name, index) => this.report(name, held.get(name), records[index]));
    }
    if (failures.length > 0 && !this.failing) this.deps.onError(failures[0]);
    this.failing = failures.length > 0;
  }

  private async read(name: string, failures: unknown[]): Promise<ConsumerRecord | undefined | "failed"> {
    try {
      return await this.deps.store.get(name);
    } catch (error: unknown) {
      failures.push(error);
      return "failed";
    }
  }

  private report(name: string, policies: Set<string> | undefined, record: ConsumerRecord | undefined | "failed"): void {
    if (record === "failed") return;
    if (!record || record.revokedAt !== null) return this.deps.onRevoked(name);
    if ([...(policies ?? [])].some((policy) => policy !== record.policy)) {
      this.deps.onPolicyChanged(name, record.policy);
    }
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      void this.check()
        .catch((error: unknown) => this.deps.onError(error))
        .finally(() => this.schedule());
    }, this.deps.intervalMs ?? CONSUMER_WATCH_INTERVAL_MS);
    this.timer.unref();
  }
}

/** What {@link watchConsumers} tells the broker. */
export interface WatchedBroker {
  onConsumerPolicyChanged(consumer: string, policy: string): void;
  onConsumerRevoked(consumer: string): void;
}

/** The open streams' admin-API consumers, each with the policy its stream is held to now (see ConsumerWatch). */
function* storeConsumers(
  context: GatewayContext,
  callers: Iterable<Caller | undefined>,
  changedPolicies: ReadonlyMap<string, string>,
): Generator<[string, string]> {
  const configured = new Set(context.config().consumers.map((consumer) => consumer.name));
  for (const caller of callers) {
    if (caller?.identity.method !== "api-key" || configured.has(caller.identity.consumer)) continue;
    const { consumer, policy } = caller.identity;
    yield [consumer, changedPolicies.get(consumer) ?? policy];
  }
}

/**
 * Follows the admin-API consumers of open streams in the shared store, so a policy change or revocation made by any
 * process (a router, another replica) reaches this broker's streams; none without a consumer store.
 */
export function watchConsumers(
  context: GatewayContext,
  broker: WatchedBroker,
  callers: () => Iterable<Caller | undefined>,
  { changedPolicies, logger }: { changedPolicies: ReadonlyMap<string, string>; logger: Logger },
): ConsumerWatch | undefined {
  const store = context.security.consumerStore;
  if (!store) return undefined;
  // The store's URL (as the store was opened with it) may carry a password: never in the log line.
  const spec = context.config().admin?.store;
  const describe = (error: unknown): string =>
    spec === undefined ? describeError(error) : scrubPassword(describeError(error), spec);
  const watch = new ConsumerWatch({
    store,
    connected: () => storeConsumers(context, callers(), changedPolicies),
    onPolicyChanged: (consumer, policy) => broker.onConsumerPolicyChanged(consumer, policy),
    onRevoked: (consumer) => broker.onConsumerRevoked(consumer),
    onError: (error) =>
      logger.warn("consumer store read failed: open streams follow admin changes again once it answers", {
        error: describe(error),
      }),
  });
  watch.start();
  return watch;
}
