import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { CompleteRequestSchema, type CompleteRequest, type CompleteResult } from "@modelcontextprotocol/sdk/types.js";

// Candidate values per completable argument, keyed by `<ref type>:<prompt name or template URI>:<argument>`.
// The suite asks for `ref/prompt` test_prompt_with_arguments, argument arg1, value "test" and checks only that
// `completion.values` is an array.
const CANDIDATES: ReadonlyMap<string, readonly string[]> = new Map([
  ["ref/prompt:test_prompt_with_arguments:arg1", ["testValue1", "testValue2", "paris", "park", "party"]],
  ["ref/prompt:test_prompt_with_arguments:arg2", ["testValue2", "world"]],
  ["ref/resource:test://template/{id}/data:id", ["123", "456", "789"]],
]);

// The spec caps completion/complete at 100 values per response.
const MAX_VALUES = 100;

function keyOf(params: CompleteRequest["params"]): string {
  const target = params.ref.type === "ref/prompt" ? params.ref.name : params.ref.uri;
  return `${params.ref.type}:${target}:${params.argument.name}`;
}

/** The `completion/complete` answer: the argument's candidates that start with the typed value (case-insensitive). */
export function completeFixtureArgument(params: CompleteRequest["params"]): CompleteResult {
  const prefix = params.argument.value.toLowerCase();
  const matches = (CANDIDATES.get(keyOf(params)) ?? []).filter((value) => value.toLowerCase().startsWith(prefix));
  const values = matches.slice(0, MAX_VALUES);
  return { completion: { values, total: matches.length, hasMore: matches.length > values.length } };
}

/** Serves `completion/complete` on `server` with {@link completeFixtureArgument}. */
export function addFixtureCompletion(server: Server): void {
  server.setRequestHandler(CompleteRequestSchema, (request) => completeFixtureArgument(request.params));
}
