import type { ServerEvent } from "@modelcontextprotocol/server";
import type { ListChange } from "../catalog-changes";
import type { ViewRound } from "../consumer-views";
import type { ScopedEventBus } from "./listen-bus";

const EVENTS: ReadonlyMap<ListChange, ServerEvent> = new Map<ListChange, ServerEvent>([
  ["notifications/tools/list_changed", { kind: "tools_list_changed" }],
  ["notifications/prompts/list_changed", { kind: "prompts_list_changed" }],
  ["notifications/resources/list_changed", { kind: "resources_list_changed" }],
]);

/**
 * Publishes a catalog or config change on the listen bus, per consumer: each list_changed goes only to listen streams
 * whose caller's own (policy-filtered) view of that list changed (as `round` decides), so a consumer is never told
 * about tools, prompts or resources it cannot see. Returns how many streams were told, per notification.
 */
export function publishListChanges(bus: ScopedEventBus, round: ViewRound): Map<ListChange, number> {
  const told = new Map<ListChange, number>();
  for (const [change, event] of EVENTS) {
    const count = bus.publishTo(event, (caller) => round.changes(caller).includes(change));
    if (count > 0) told.set(change, count);
  }
  return told;
}
