import {
  CreateMessageResultSchema,
  CreateMessageResultWithToolsSchema,
  ElicitResultSchema,
  ListRootsResultSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { GatewayError, JsonRpcErrorCode, type JsonRpcId } from "../../errors";
import { isJson, type Json } from "../../routing/result-uris";
import { quoteCapped } from "../../text-cap";

/** A server-to-client request of the upstream, waiting for the modern client's answer. */
export interface PendingInput {
  /** The key the client sees in `inputRequests` and answers under in `inputResponses`. */
  key: string;
  /** The upstream's own id of the request, which its answer must carry. */
  upstreamId: string | number;
  method: InputMethod;
  params: Json;
}

/** The server-to-client requests a modern client answers through input_required results (SEP-2322). */
export type InputMethod = "elicitation/create" | "sampling/createMessage" | "roots/list";

const KEY_STEMS: ReadonlyMap<string, string> = new Map([
  ["elicitation/create", "elicitation"],
  ["sampling/createMessage", "sampling"],
  ["roots/list", "roots"],
]);

/** True for a method the bridge turns into an input request. */
export function isInputMethod(method: string): method is InputMethod {
  return KEY_STEMS.has(method);
}

/** The key of the n-th input request of a call: `elicitation-1`, `sampling-2`, `roots-3` (unique within the call). */
export function inputKey(method: InputMethod, n: number): string {
  return `${KEY_STEMS.get(method) ?? "input"}-${n}`;
}

/** What an upstream's own string request id must look like to serve as the input key (short, plain characters). */
const NAMED_KEY = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
/** The shape of generated keys, which a named key may not take (a later generated key would collide with it). */
const GENERATED_KEY = /^(?:elicitation|sampling|roots|input)-\d+$/;

/**
 * The key a 2025 upstream chose for its request, if any: a 2025 server can only name a request by its JSON-RPC id,
 * so a string id such as `user_name` becomes the input key the 2026 client sees (SEP-2322 keys are the server's to
 * choose). Numeric ids, unusual strings and ids that would collide with a pending key get generated keys instead.
 */
export function namedKey(upstreamId: string | number, pending: ReadonlyMap<string, PendingInput>): string | undefined {
  if (typeof upstreamId !== "string" || !NAMED_KEY.test(upstreamId) || GENERATED_KEY.test(upstreamId)) return undefined;
  if (pending.has(upstreamId)) return undefined;
  return upstreamId;
}

/**
 * Why the client may not be asked this (its declared capabilities lack it), or undefined. A 2025 upstream was told
 * the client's capabilities at initialize and must not ask otherwise (MRTR forbids input requests the client did not
 * declare); one that does anyway gets the error a client without the capability would send.
 */
export function undeclared(
  method: InputMethod,
  params: Json,
  capabilities: Readonly<Record<string, unknown>>,
): string | undefined {
  const has = (name: string): boolean => Object.hasOwn(capabilities, name) && isJson(capabilities[name]);
  if (method === "sampling/createMessage") return has("sampling") ? undefined : "sampling";
  if (method === "roots/list") return has("roots") ? undefined : "roots";
  if (!has("elicitation")) return "elicitation";
  const elicitation = capabilities["elicitation"] as Json;
  // An empty elicitation capability means form mode only (2025-11-25); URL mode must be declared.
  if (params["mode"] === "url" && !Object.hasOwn(elicitation, "url")) return "elicitation.url";
  return undefined;
}

/** Validates an answer as the upstream's SDK will parse it (the 2025 schemas); a message naming the problem, or undefined. */
function invalidAnswer(input: PendingInput, answer: unknown): string | undefined {
  if (!isJson(answer)) return "is not an object";
  const schemas =
    input.method === "elicitation/create"
      ? [ElicitResultSchema]
      : input.method === "roots/list"
        ? [ListRootsResultSchema]
        : [CreateMessageResultSchema, CreateMessageResultWithToolsSchema];
  if (schemas.some((schema) => schema.safeParse(answer).success)) return undefined;
  return `is not a valid ${input.method} result`;
}

/**
 * The answers a retry carries for the pending inputs, by key (only the client's own members are read; unknown keys
 * are ignored, as MRTR asks). Missing answers are simply absent: those inputs are asked again. A malformed
 * `inputResponses` or answer is a -32602 error naming the key; then nothing is sent upstream.
 */
export function answersFor(
  pending: Iterable<PendingInput>,
  inputResponses: unknown,
  id: JsonRpcId,
): Map<string, { input: PendingInput; answer: Json }> {
  const invalid = (message: string): GatewayError => new GatewayError(JsonRpcErrorCode.InvalidParams, message, { id });
  if (inputResponses === undefined) return new Map();
  if (!isJson(inputResponses)) throw invalid("inputResponses must be an object mapping input request keys to results");
  const answers = new Map<string, { input: PendingInput; answer: Json }>();
  for (const input of pending) {
    if (!Object.hasOwn(inputResponses, input.key)) continue;
    const answer = inputResponses[input.key];
    const problem = invalidAnswer(input, answer);
    if (problem !== undefined) throw invalid(`inputResponses[${quoteCapped(input.key)}] ${problem}`);
    answers.set(input.key, { input, answer: answer as Json });
  }
  return answers;
}
