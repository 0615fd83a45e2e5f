import { visibleLists, type AccessPolicy, type Catalog, type VisibleLists } from "@mcp-gateway/core";
import type { ServerEvent } from "@modelcontextprotocol/server";
import { catalogChanges, type ListChange } from "../catalog-changes";
import type { ScopedEventBus } from "./listen-bus";

const EVENTS: ReadonlyMap<ListChange, { event: ServerEvent; kinds: (keyof VisibleLists)[] }> = new Map([
  ["notifications/tools/list_changed", { event: { kind: "tools_list_changed" }, kinds: ["tools"] }],
  ["notifications/prompts/list_changed", { event: { kind: "prompts_list_changed" }, kinds: ["prompts"] }],
  [
    "notifications/resources/list_changed",
    { event: { kind: "resources_list_changed" }, kinds: ["resources", "resourceTemplates"] },
  ],
] as const);

/**
 * Publishes a catalog change on the listen bus, per consumer: each list_changed goes only to listen streams whose
 * caller's own (policy-filtered) view of that list changed, so a consumer is never told about tools, prompts or
 * resources it cannot see. Returns how many streams were told, per notification.
 */
export function publishListChanges(bus: ScopedEventBus, catalog: Catalog, previous: Catalog): Map<ListChange, number> {
  const told = new Map<ListChange, number>();
  for (const change of catalogChanges(previous, catalog)) {
    const entry = EVENTS.get(change);
    if (!entry) continue;
    // One comparison per policy and change, however many streams share the policy.
    const seen = new Map<AccessPolicy, boolean>();
    const changedFor = (policy: AccessPolicy): boolean => {
      let changed = seen.get(policy);
      if (changed === undefined) {
        const [before, after] = [visibleLists(previous, policy), visibleLists(catalog, policy)];
        changed = entry.kinds.some((kind) => JSON.stringify(before[kind]) !== JSON.stringify(after[kind]));
        seen.set(policy, changed);
      }
      return changed;
    };
    told.set(
      change,
      bus.publishTo(entry.event, (caller) => changedFor(caller.policy)),
    );
  }
  return told;
}
