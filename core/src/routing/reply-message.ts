import { exposeResourceUri, resourcePrefixOf } from "../catalog/resource-uris";
import { exceedsJsonDepth } from "../jsonrpc/json-depth";
import { MAX_REDACTION_DEPTH, type ResultRedactor } from "../sanitize";
import { withClientTaskId } from "../modern/tasks/task-reply";
import { isJson, prefixResultUris, type Json } from "./result-uris";
import { SanitizeFailure } from "./sanitize-failure";
import { encodeServerRequestId } from "./server-request-ids";
import type { StreamOrigin } from "./sse-id-rewriter";

// The broker relays its own, aggregated view of list changes (with prefixes); an upstream's would duplicate it.
const DROPPED = new Set([
  "notifications/tools/list_changed",
  "notifications/prompts/list_changed",
  "notifications/resources/list_changed",
]);

// A cacheable result the upstream called public, as one consumer's answer (see StreamOrigin.privateCache).
function privateScope(result: Json, origin: StreamOrigin): Json {
  return origin.privateCache === true && result["cacheScope"] === "public"
    ? { ...result, cacheScope: "private" }
    : result;
}

// One pass over a response's result: resource URIs prefixed, then secrets redacted.
function rewriteResult(message: Json, origin: StreamOrigin, redactor: ResultRedactor | undefined): Json {
  const result = message["result"];
  if (!isJson(result)) {
    if (redactor === undefined || result === undefined) return message;
    // Not an MCP result (those are objects), yet under sanitization nothing is passed on unread.
    const wrapped = { result };
    const redacted = redactor.redact(wrapped);
    return redacted === wrapped ? message : { ...message, result: redacted["result"] };
  }
  const prefix = resourcePrefixOf(origin);
  const uris = privateScope(prefixResultUris(result, prefix), origin);
  const prefixed = origin.tasks
    ? withClientTaskId(uris, origin.tasks, (inner) => prefixResultUris(inner, prefix))
    : uris;
  const redacted = redactor ? redactor.redact(prefixed) : prefixed;
  return redacted === result ? message : { ...message, result: redacted };
}

/** The message as the client must see it, or null to drop it; the same object when nothing changed. */
export function rewriteMessage(message: Json, origin: StreamOrigin, redactor?: ResultRedactor): Json | null {
  const { method, id } = message;
  if (typeof method !== "string") return rewriteResult(message, origin, redactor);
  if (typeof id === "string" || typeof id === "number")
    return { ...message, id: encodeServerRequestId(origin.name, id) };
  if (DROPPED.has(method)) return null;
  const params = message["params"];
  if (!isJson(params)) return message;
  if (method === "notifications/tasks" && origin.tasks !== undefined) {
    // The full task state (SEP-2663), named by the client's id; its inlined result as a tasks/get would give it.
    const prefix = resourcePrefixOf(origin);
    const task = withClientTaskId(params, { ...origin.tasks, creates: false }, (inner) =>
      prefixResultUris(inner, prefix),
    );
    // It carries the tool's result: the call's redaction applies to it as to the result itself.
    const redacted = redactor ? redactor.redact(task) : task;
    return redacted === params ? message : { ...message, params: redacted };
  }
  if (method === "notifications/resources/updated" && typeof params["uri"] === "string") {
    return { ...message, params: { ...params, uri: exposeResourceUri(resourcePrefixOf(origin), params["uri"]) } };
  }
  const requestId = params["requestId"];
  if (method === "notifications/cancelled" && (typeof requestId === "string" || typeof requestId === "number")) {
    return { ...message, params: { ...params, requestId: encodeServerRequestId(origin.name, requestId) } };
  }
  return message;
}

/** Upstream replies nested deeper are refused: a sanitized reply is replaced by an error, any other one fails. */
export const MAX_REPLY_DEPTH = MAX_REDACTION_DEPTH;

/**
 * A parsed reply (a message, or a batch under sanitization) as the client must see it, or null to drop it. Without a
 * redactor anything that is not a JSON object passes unchanged; with one it throws a {@link SanitizeFailure}.
 */
export function rewriteParsed(parsed: unknown, origin: StreamOrigin, redactor?: ResultRedactor): unknown {
  // Checked iteratively before anything recursive (the redactor, JSON.stringify of a rewritten message) walks it.
  if (exceedsJsonDepth(parsed, MAX_REPLY_DEPTH)) {
    throw SanitizeFailure.unparseable(new Error(`reply nested deeper than ${MAX_REPLY_DEPTH} levels`));
  }
  if (isJson(parsed)) return rewriteMessage(parsed, origin, redactor);
  if (redactor === undefined) return parsed;
  if (!Array.isArray(parsed)) throw SanitizeFailure.unparseable();
  let changed = false;
  const out = parsed.flatMap((item: unknown) => {
    if (!isJson(item)) throw SanitizeFailure.unparseable();
    const rewritten = rewriteMessage(item, origin, redactor);
    if (rewritten !== item) changed = true;
    return rewritten === null ? [] : [rewritten];
  });
  return changed ? out : parsed;
}
