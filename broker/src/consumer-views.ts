import {
  visibleLists,
  type AccessPolicy,
  type Caller,
  type Catalog,
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

/**
 * What each connected caller (a GET stream's or a listen stream's) was last told it can see, as the policy it was
 * told under. A catalog change compares the old catalog under that policy with the new catalog under the caller's
 * current policy, and so does a reload (same catalog): a policy-only reload tells exactly the consumers whose lists
 * it changed, and only about the lists that changed for them.
 */
export class ConsumerViews {
  private readonly told = new WeakMap<Caller, AccessPolicy>();

  /** `currentPolicy` resolves a connected caller's policy under the config in force now. */
  constructor(private readonly currentPolicy: (caller: Caller) => AccessPolicy) {}

  /** Starts a round for a change from `previous` to `catalog` (the same catalog for a config reload). */
  round(previous: Catalog, catalog: Catalog): ViewRound {
    const decided = new Map<Caller, { policy: AccessPolicy; changes: readonly ListChange[] }>();
    // One comparison per pair of policies, however many streams share them.
    const compared = new Map<AccessPolicy, Map<AccessPolicy, ListChange[]>>();
    const compare = (before: AccessPolicy, after: AccessPolicy): ListChange[] => {
      let byAfter = compared.get(before);
      if (!byAfter) compared.set(before, (byAfter = new Map()));
      let changes = byAfter.get(after);
      if (!changes) byAfter.set(after, (changes = viewChanges(previous, before, catalog, after)));
      return changes;
    };
    return {
      changes: (caller) => {
        let decision = decided.get(caller);
        if (!decision) {
          const policy = this.currentPolicy(caller);
          decision = { policy, changes: compare(this.told.get(caller) ?? caller.policy, policy) };
          decided.set(caller, decision);
        }
        return decision.changes;
      },
      commit: () => {
        for (const [caller, { policy }] of decided) this.told.set(caller, policy);
      },
    };
  }
}
