import { quoteCapped } from "../text-cap";
import { invalidRequest } from "./llm-error";

type Json = Record<string, unknown>;

/**
 * Which of a client's request fields reach the provider. Everything is refused unless listed: the provider runs on the
 * gateway's key, so a field the gateway does not know could spend (`n`, `service_tier`, `audio`), reach state every
 * consumer shares (`prompt`, `previous_response_id`, stored files and items) or make the provider call out
 * (`web_search_options`, hosted tools, URLs in content).
 */
export interface FieldRules {
  /** Passed to the provider as the client sent them. */
  passed: readonly string[];
  /** Read (or replaced) by the gateway itself: never copied as sent. */
  gateway: readonly string[];
  /** Accepted only with these values (checked before anything is sent). */
  values: Readonly<Record<string, readonly unknown[]>>;
  /** Refused with a hint of what to do instead. */
  refused: Readonly<Record<string, string>>;
}

const SHARED_STATE = "the provider keeps it under the gateway's key, shared by every consumer";

/** The Chat Completions fields. */
export const CHAT_FIELDS: FieldRules = {
  passed: [
    "temperature",
    "top_p",
    "stop",
    "presence_penalty",
    "frequency_penalty",
    "logit_bias",
    "logprobs",
    "top_logprobs",
    "seed",
    "response_format",
    "reasoning_effort",
    "verbosity",
    "user",
    "safety_identifier",
    "prompt_cache_key",
    "metadata",
    "n",
    "store",
    "service_tier",
  ],
  gateway: [
    "model",
    "messages",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "stream",
    "stream_options",
    "max_tokens",
    "max_completion_tokens",
  ],
  values: { n: [1], store: [false], service_tier: ["auto", "default"] },
  refused: {
    functions: "the gateway offers the model your MCP tools (send no functions)",
    function_call: "the gateway offers the model your MCP tools",
  },
};

/** The Responses API fields. */
export const RESPONSES_FIELDS: FieldRules = {
  passed: [
    "instructions",
    "temperature",
    "top_p",
    "top_logprobs",
    "text",
    "reasoning",
    "truncation",
    "include",
    "user",
    "safety_identifier",
    "prompt_cache_key",
    "metadata",
    "store",
    "service_tier",
  ],
  gateway: [
    "model",
    "input",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "stream",
    "stream_options",
    "max_output_tokens",
  ],
  values: { service_tier: ["auto", "default"] },
  refused: {
    previous_response_id: `send the whole conversation as input (${SHARED_STATE})`,
    conversation: `send the whole conversation as input (${SHARED_STATE})`,
    prompt: `send the instructions and input themselves (${SHARED_STATE})`,
    background: "the gateway runs the tool loop while the request is open",
  },
};

/** Throws a 400 naming the first field of `body` that `rules` do not accept, or a value they do not allow. */
export function checkFields(body: Json, rules: FieldRules): void {
  for (const [field, value] of Object.entries(body)) {
    // An explicit null (or false for a refused switch) is what many SDKs send for "not set".
    if (value === null) continue;
    const instead = Object.hasOwn(rules.refused, field) ? rules.refused[field] : undefined;
    if (instead !== undefined && value !== false)
      throw invalidRequest(`${field} is not supported through the gateway: ${instead}`, field);
    if (instead === undefined && !rules.passed.includes(field) && !rules.gateway.includes(field))
      throw invalidRequest(`unsupported parameter ${quoteCapped(field)}: the gateway does not pass it on`, field);
    const allowed = Object.hasOwn(rules.values, field) ? rules.values[field] : undefined;
    if (allowed !== undefined && !allowed.includes(value))
      throw invalidRequest(
        `${field} must be ${allowed.map((v) => JSON.stringify(v)).join(" or ")} through the gateway`,
        field,
      );
  }
}

/** The client's tool settings, passed on only on a round that offers tools (the one past the round cap has none). */
const TOOL_SETTINGS = ["tool_choice", "parallel_tool_calls"] as const;

/** Copies the client's `tool_choice` and `parallel_tool_calls` (when sent) into a round's request that offers tools. */
export function passToolSettings(body: Json, request: Json): void {
  for (const field of TOOL_SETTINGS) {
    if (Object.hasOwn(body, field) && body[field] !== undefined) request[field] = body[field];
  }
}

/** The fields of `body` passed to the provider as sent (checked by {@link checkFields} first). */
export function passedFields(body: Json, rules: FieldRules): Json {
  const request: Json = {};
  for (const field of rules.passed) if (Object.hasOwn(body, field)) request[field] = body[field];
  return request;
}
