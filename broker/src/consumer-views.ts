import {
  visibleLists,
  type AccessPolicy,
  type Caller,
  type Catalog,
  type Endpoint,
  type GatewayConfig,
  type Identity,
  type VisibleLists,
} from "@mcp-gateway/core";
import type { ListChange } from "./catalog-changes";

const KINDS: readonly [ListChange, (keyof VisibleLists)[]][] = [
  ["notifications/tools/list_changed", ["tools"]],
  ["notifications/prompts/list_changed", ["prompts"]],
  ["notifications/resources/list_changed", ["resources", "resourceTemplates"]],
];

/**
 * The identity as the current config would establish it: a reload may move a configured consumer to another policy,
 * or change the JWT default policy. Consumers of the admin API (not in the file) keep the policy they connected with.
 */
export function currentIdentity(config: GatewayConfig, identity: Identity): Identity {
  if (identity.method === "anonymous") return identity;
  const configured = config.consumers.find((consumer) => consumer.name === identity.consumer);
  const jwtDefault = identity.method === "jwt" && config.auth !== "none" ? config.auth.jwt?.defaultPolicy : undefined;
  const policy = configured?.policy ?? jwtDefault ?? identity.policy;
  return policy === identity.policy ? identity : { ...identity, policy };
}

/** The list_changed notifications a consumer is owed when its view moves from (previous, before) to (catalog, after). */
export function viewChanges(
  previous: Catalog,
  before: AccessPolicy,
  catalog: Catalog,
  after: AccessPolicy,
): ListChange[] {
  const [was, is] = [visibleLists(previous, before), visibleLists(catalog, after)];
  return KINDS.filter(([, kinds]) => kinds.some((kind) => JSON.stringify(was[kind]) !== JSON.stringify(is[kind]))).map(
    ([change]) => change,
  );
}

/** One change of catalog or config, decided once per connected caller: see {@link ConsumerViews.round}. */
export interface ViewRound {
  /** The list_changed notifications this caller is owed (none when its view did not change). */
  changes(caller: Caller): readonly ListChange[];
  /** Records that every caller asked about has been told: its next round starts from its current policy. */
  commit(): void;
}

/** Where a connected caller lists things: its endpoint, and that endpoint's catalog. */
export interface EndpointViews {
  /** The caller's endpoint under the config in force now (a reload may redefine a virtual server at its path). */
  current(caller: Caller): Endpoint | undefined;
  /** What `endpoint` lists of the aggregated catalog `catalog` (the one before a change, or the one after). */
  catalogAt(catalog: Catalog, endpoint: Endpoint | undefined): Catalog;
}

/** Every caller at the aggregated `/mcp` (what views were before endpoints). */
const AGGREGATE_ONLY: EndpointViews = { current: () => undefined, catalogAt: (catalog) => catalog };

/** What a caller was last told about: under which policy, at which endpoint. */
interface Told {
  policy: AccessPolicy;
  endpoint: Endpoint | undefined;
}

/** A cache keyed by a sequence of objects (catalogs and policies), so equal views are compared once per round. */
class ObjectKeyed<V> {
  private readonly root = new Map<object, unknown>();

  get(keys: readonly object[], make: () => V): V {
    let level = this.root;
    for (const key of keys.slice(0, -1)) {
      let next = level.get(key) as Map<object, unknown> | undefined;
      if (!next) level.set(key, (next = new Map()));
      level = next;
    }
    const last = keys[keys.length - 1] as object;
    if (!level.has(last)) level.set(last, make());
    return level.get(last) as V;
  }
}

/**
 * What each connected caller (a GET stream's or a listen stream's) was last told it can see: the policy it was told
 * under, at its endpoint (`/mcp`, `/mcp/<server>` or a virtual server's path). A catalog change compares the old
 * catalog of that endpoint under that policy with the new one under the caller's current policy, and so does a reload
 * (same aggregated catalog): a client is told exactly when what IT can list changed, and only about those lists.
 */
export class ConsumerViews {
  private readonly told = new WeakMap<Caller, Told>();

  /** `currentPolicy` resolves a connected caller's policy under the config in force now; `endpoints` its endpoint. */
  constructor(
    private readonly currentPolicy: (caller: Caller) => AccessPolicy,
    private readonly endpoints: EndpointViews = AGGREGATE_ONLY,
  ) {}

  /** Starts a round for a change from `previous` to `catalog` (the same catalog for a config reload). */
  round(previous: Catalog, catalog: Catalog): ViewRound {
    const decided = new Map<Caller, { now: Told; changes: readonly ListChange[] }>();
    // One comparison per pair of (endpoint catalog, policy), however many streams share them.
    const compared = new ObjectKeyed<ListChange[]>();
    const compare = (was: Catalog, before: AccessPolicy, is: Catalog, after: AccessPolicy): ListChange[] =>
      compared.get([was, before, is, after], () => viewChanges(was, before, is, after));
    return {
      changes: (caller) => {
        let decision = decided.get(caller);
        if (!decision) {
          const then = this.told.get(caller) ?? { policy: caller.policy, endpoint: caller.endpoint };
          const now = { policy: this.currentPolicy(caller), endpoint: this.endpoints.current(caller) };
          const was = this.endpoints.catalogAt(previous, then.endpoint);
          const is = this.endpoints.catalogAt(catalog, now.endpoint);
          decision = { now, changes: compare(was, then.policy, is, now.policy) };
          decided.set(caller, decision);
        }
        return decision.changes;
      },
      commit: () => {
        for (const [caller, { now }] of decided) this.told.set(caller, now);
      },
    };
  }
}
