import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { z } from "zod";
import type { ListedItem, ListedResource, ListedTemplate } from "../catalog/catalog";
import { exceedsJsonDepth } from "../jsonrpc/json-depth";
import type { ListHint, ListMethod } from "./upstream-session";
import { xMcpHeaderProblem } from "./x-mcp-header";

/**
 * Listed items nested deeper are dropped: the catalog is serialized into every client's list answer, and one item
 * deep enough to overflow JSON.stringify would break tools/list for every consumer.
 */
export const MAX_LISTED_ITEM_DEPTH = 128;

const MAX_PAGES = 100;

// Deliberately loose: each item is validated on its own so one bad tool is dropped, not the whole listing.
/** The shape of one list page as the gateway reads it (items are validated one by one afterwards). */
export const pageSchema = z.looseObject({ nextCursor: z.string().optional() }).catchall(z.unknown());

/** Anything that fetches one raw page of a list method (an upstream session, or an SDK v1 client). */
export interface Pager {
  page(method: ListMethod, cursor: string | undefined, timeoutMs: number): Promise<Record<string, unknown>>;
}

/** Every item of a list, and the cache hints of its first page (2026 upstreams; spec: page 1 carries them). */
export interface ListedPages {
  items: unknown[];
  hint: ListHint;
}

function hintOf(page: Record<string, unknown>): ListHint {
  const ttlMs = page["ttlMs"];
  const scope = page["cacheScope"];
  return {
    ...(typeof ttlMs === "number" && Number.isFinite(ttlMs) && ttlMs >= 0 && { ttlMs }),
    ...((scope === "public" || scope === "private") && { cacheScope: scope }),
  };
}

/** Fetches every page of a list method; stops on a repeated cursor or after 100 pages. */
export async function listPages(
  pager: Pager,
  method: ListMethod,
  field: string,
  timeoutMs: number,
): Promise<ListedPages> {
  const items: unknown[] = [];
  const seen = new Set<string>();
  let cursor: string | undefined;
  let hint: ListHint | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const result = await pager.page(method, cursor, timeoutMs);
    hint ??= hintOf(result);
    const pageItems = result[field];
    if (Array.isArray(pageItems)) items.push(...(pageItems as unknown[]));
    const next = result["nextCursor"];
    cursor = typeof next === "string" ? next : undefined;
    if (cursor === undefined) return { items, hint };
    if (seen.has(cursor)) throw new Error(`${method} returned cursor ${JSON.stringify(cursor)} twice`);
    seen.add(cursor);
  }
  throw new Error(`${method} did not finish within ${MAX_PAGES} pages`);
}

/** Fetches every page of a list method over an SDK v1 client; stops on a repeated cursor or after 100 pages. */
export async function listAll(
  client: Client,
  method: ListMethod,
  field: string,
  timeoutMs: number,
): Promise<unknown[]> {
  const pager: Pager = {
    page: (m, cursor, timeout) =>
      client.request({ method: m, params: cursor === undefined ? {} : { cursor } }, pageSchema, { timeout }),
  };
  return (await listPages(pager, method, field, timeoutMs)).items;
}

/** Why an item was dropped, or undefined when it is valid. */
export type ItemProblem = string | undefined;

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

/** Checks one listed tool: a non-empty name and an `inputSchema` that is an object schema (`type: "object"`). */
export function toolProblem(tool: unknown): ItemProblem {
  if (!isObject(tool) || typeof tool["name"] !== "string" || tool["name"] === "") return "tool without a string name";
  const schema = tool["inputSchema"];
  if (!isObject(schema)) return "inputSchema is missing or not a JSON object";
  if (schema["type"] !== "object") return `inputSchema.type must be "object", got ${JSON.stringify(schema["type"])}`;
  return undefined;
}

/**
 * Checks one tool listed by a 2026 upstream: {@link toolProblem}, and `x-mcp-header` annotations valid as the spec
 * requires (a Streamable HTTP client must drop a tool that breaks them, naming it in a warning).
 */
export function modernToolProblem(tool: unknown): ItemProblem {
  const problem = toolProblem(tool);
  if (problem !== undefined) return problem;
  const header = xMcpHeaderProblem((tool as Record<string, unknown>)["inputSchema"]);
  return header === undefined ? undefined : `invalid x-mcp-header annotation: ${header}`;
}

/** Checks a listed prompt (a non-empty name). */
export function promptProblem(prompt: unknown): ItemProblem {
  return isObject(prompt) && typeof prompt["name"] === "string" && prompt["name"] !== ""
    ? undefined
    : "prompt without a string name";
}

/** Checks a listed resource (a string URI and name). */
export function resourceProblem(resource: unknown): ItemProblem {
  return isObject(resource) && typeof resource["uri"] === "string" && typeof resource["name"] === "string"
    ? undefined
    : "resource without a string uri and name";
}

/** Checks a listed resource template (a string uriTemplate and name). */
export function templateProblem(template: unknown): ItemProblem {
  return isObject(template) && typeof template["uriTemplate"] === "string" && typeof template["name"] === "string"
    ? undefined
    : "resource template without a string uriTemplate and name";
}

/** Splits items into the valid ones and a description of each dropped one. */
export function validateItems<T extends ListedItem | ListedResource | ListedTemplate>(
  items: readonly unknown[],
  problemOf: (item: unknown) => ItemProblem,
): { valid: T[]; dropped: { name: string; problem: string }[] } {
  const valid: T[] = [];
  const dropped: { name: string; problem: string }[] = [];
  for (const item of items) {
    const problem = exceedsJsonDepth(item, MAX_LISTED_ITEM_DEPTH)
      ? `nested deeper than ${MAX_LISTED_ITEM_DEPTH} levels`
      : problemOf(item);
    if (problem === undefined) valid.push(item as T);
    else dropped.push({ name: isObject(item) ? String(item["name"] ?? item["uri"] ?? "?") : "?", problem });
  }
  return { valid, dropped };
}
