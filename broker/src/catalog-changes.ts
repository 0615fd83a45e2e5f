import type { Catalog } from "@mcp-gateway/core";

/** The list_changed notifications a catalog change calls for. */
export type ListChange =
  "notifications/tools/list_changed" | "notifications/prompts/list_changed" | "notifications/resources/list_changed";

const same = (a: readonly unknown[], b: readonly unknown[]): boolean =>
  a.length === b.length && JSON.stringify(a) === JSON.stringify(b);

/** Compares two catalogs and names each list that changed (tools, prompts, resources). */
export function catalogChanges(previous: Catalog, next: Catalog): ListChange[] {
  const changes: ListChange[] = [];
  if (!same(previous.listTools(), next.listTools())) changes.push("notifications/tools/list_changed");
  if (!same(previous.listPrompts(), next.listPrompts())) changes.push("notifications/prompts/list_changed");
  const resourcesChanged =
    !same(previous.listResources(), next.listResources()) ||
    !same(previous.listResourceTemplates(), next.listResourceTemplates());
  if (resourcesChanged) changes.push("notifications/resources/list_changed");
  return changes;
}
