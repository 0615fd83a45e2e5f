import { randomBytes } from "node:crypto";

/** Token counts a turn reports; anything left out is estimated (about 4 characters per token). */
export interface TurnUsage {
  /** `prompt_tokens` (chat) / `input_tokens` (responses). */
  input?: number;
  /** `completion_tokens` (chat) / `output_tokens` (responses). */
  output?: number;
  /** `cached_tokens` in the input details; default 0. */
  cached?: number;
  /** `reasoning_tokens` in the output details; default 0. */
  reasoning?: number;
}

/** When and how a turn's answer misbehaves in time (for gateway timeout and disconnect tests). */
export interface TurnTiming {
  /** Hold the whole response (no status line yet) this long. */
  delayMs?: number;
  /** Streaming: after this many SSE events, stall `stallMs` before the rest (a stream that goes quiet). */
  stallAfterEvents?: number;
  stallMs?: number;
  /** Streaming: destroy the connection after this many SSE events (no `[DONE]`, no completed event). */
  dropAfterEvents?: number;
  /** Streaming: pause this long between SSE events (lets a test see events arrive one by one). */
  eventIntervalMs?: number;
  /**
   * Streaming: after this many SSE events, send OpenAI's in-stream error (chat: a `data: {"error": …}` chunk;
   * responses: an `error` event) with `errorMessage` and end the stream.
   */
  errorAfterEvents?: number;
  errorMessage?: string;
}

/** One tool call the model makes: `arguments` as an object (JSON-encoded) or a raw string sent as is. */
export interface ScriptedToolCall {
  name: string;
  arguments?: Record<string, unknown> | string;
  /** The call id (`call_id` in the Responses API); generated when absent. */
  id?: string;
}

/** A tool call with its id and JSON argument string settled. */
export interface ResolvedToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** Options of an answering turn. */
export interface AnswerOptions extends TurnTiming {
  usage?: TurnUsage;
  /** The `model` reported back; default: the model the request named. */
  model?: string;
  /** Streaming: tool-call argument strings are sent in fragments of this many characters; default 8. */
  argumentFragmentSize?: number;
}

/** The model answers: text (in stream chunks) and/or tool calls. */
export interface AnswerTurn extends AnswerOptions {
  kind: "answer";
  /** The text in the chunks it is streamed in; empty when the turn only calls tools. */
  chunks: string[];
  toolCalls: ResolvedToolCall[];
}

/** The body OpenAI sends with every error status. */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** The provider answers with an HTTP error. */
export interface ErrorTurn {
  kind: "error";
  status: number;
  body: OpenAIErrorBody;
  /** `Retry-After` header value (seconds), when set. */
  retryAfter?: string;
  delayMs?: number;
}

/** The provider closes the connection without answering (after `delayMs`). */
export interface DropTurn {
  kind: "drop";
  delayMs?: number;
}

/** One scripted model turn: consumed by exactly one provider request. */
export type ScriptedTurn = AnswerTurn | ErrorTurn | DropTurn;

/** A fresh id in OpenAI's style: `prefix` then 24 URL-safe characters. */
export function newId(prefix: string): string {
  return `${prefix}${randomBytes(18).toString("base64url")}`;
}

/** The model answers `text`; pass an array to fix how it is split into stream chunks. */
export function text(content: string | string[], options: AnswerOptions = {}): AnswerTurn {
  const chunks = typeof content === "string" ? splitText(content) : [...content];
  return { kind: "answer", ...options, chunks, toolCalls: [] };
}

/** The model calls one tool or several in parallel (optionally after some `text`). */
export function toolCalls(
  calls: ScriptedToolCall | ScriptedToolCall[],
  options: AnswerOptions & { text?: string } = {},
): AnswerTurn {
  const { text: content, ...rest } = options;
  const list = Array.isArray(calls) ? calls : [calls];
  return { kind: "answer", ...rest, chunks: content ? splitText(content) : [], toolCalls: list.map(resolveCall) };
}

const DEFAULT_ERRORS: Record<number, { message: string; type: string; code: string | null }> = {
  400: { message: "Invalid request.", type: "invalid_request_error", code: null },
  401: { message: "Incorrect API key provided.", type: "invalid_request_error", code: "invalid_api_key" },
  403: { message: "You are not allowed to sample from this model.", type: "invalid_request_error", code: null },
  404: { message: "The model does not exist.", type: "invalid_request_error", code: "model_not_found" },
  429: { message: "Rate limit reached for requests.", type: "requests", code: "rate_limit_exceeded" },
};

const SERVER_ERROR = {
  message: "The server had an error while processing your request. Sorry about that!",
  type: "server_error",
  code: null,
};

/** Options of {@link httpError}: override the OpenAI error fields, add `Retry-After` or a delay. */
export interface HttpErrorOptions {
  message?: string;
  type?: string;
  code?: string | null;
  param?: string | null;
  retryAfter?: number | string;
  delayMs?: number;
}

/** The provider answers `status` with OpenAI's error body (defaults per status, as OpenAI words them). */
export function httpError(status: number, options: HttpErrorOptions = {}): ErrorTurn {
  const base = DEFAULT_ERRORS[status] ?? SERVER_ERROR;
  const error = {
    message: options.message ?? base.message,
    type: options.type ?? base.type,
    param: options.param ?? null,
    code: options.code === undefined ? base.code : options.code,
  };
  const turn: ErrorTurn = { kind: "error", status, body: { error } };
  if (options.retryAfter !== undefined) turn.retryAfter = String(options.retryAfter);
  if (options.delayMs !== undefined) turn.delayMs = options.delayMs;
  return turn;
}

/** Holds the response `ms` before serving `then` (default: a short text), e.g. longer than a gateway timeout. */
export function stall(ms: number, then: ScriptedTurn = text("late answer")): ScriptedTurn {
  return { ...then, delayMs: ms };
}

/** The provider drops the connection without a response (after `delayMs`, default at once). */
export function dropConnection(delayMs = 0): DropTurn {
  return { kind: "drop", delayMs };
}

function resolveCall(call: ScriptedToolCall): ResolvedToolCall {
  const args = call.arguments ?? {};
  return {
    id: call.id ?? newId("call_"),
    name: call.name,
    arguments: typeof args === "string" ? args : JSON.stringify(args),
  };
}

// One chunk per word (with its trailing space), so a stream carries several deltas.
function splitText(content: string): string[] {
  const parts = content.match(/\S+\s*|\s+/g);
  return parts ?? [content];
}

/** Splits `value` into fragments of `size` characters (at least one, possibly empty). */
export function fragments(value: string, size: number): string[] {
  if (value.length === 0) return [""];
  const out: string[] = [];
  for (let i = 0; i < value.length; i += size) out.push(value.slice(i, i + size));
  return out;
}

/** A rough token count: one per 4 characters, at least 1. */
export function estimateTokens(value: string): number {
  return Math.max(1, Math.ceil(value.length / 4));
}

/** What an answer needs besides the turn: the reported model, creation time and settled token counts. */
export interface AnswerContext {
  model: string;
  /** Unix seconds. */
  created: number;
  usage: Required<TurnUsage>;
}
