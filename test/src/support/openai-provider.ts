/**
 * A scripted OpenAI-compatible LLM provider for tests: `POST /v1/chat/completions` and `POST /v1/responses`
 * (JSON or SSE when `stream: true`) and `GET /v1/models`, on the published OpenAI wire format (checked against the
 * official `openai` SDK in openai-provider.test.ts). Each chat/responses request consumes one scripted turn:
 *
 * ```ts
 * const provider = await startScriptedProvider({
 *   apiKey: "sk-provider",
 *   turns: [toolCalls([{ name: "weather__get", arguments: { city: "Paris" } }]), text("Sunny.")],
 * });
 * // point the gateway's provider base URL at provider.url, run the test, then:
 * expect(provider.requests[1]?.body?.["messages"]).toContainEqual(expect.objectContaining({ role: "tool" }));
 * await provider.close();
 * ```
 *
 * Turns: {@link text}, {@link toolCalls}, {@link httpError}, {@link stall}, {@link dropConnection}; mid-stream
 * stalls, drops and error events via the answer options `stallAfterEvents`/`stallMs`, `dropAfterEvents` and
 * `errorAfterEvents`/`errorMessage`.
 * @module
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { chatChunks, chatCompletion } from "./openai-provider-chat.js";
import { responseEvents, responseObject } from "./openai-provider-responses.js";
import { failStream, writeSse, type SseEvent } from "./openai-provider-stream.js";
import {
  estimateTokens,
  httpError,
  type AnswerContext,
  type AnswerTurn,
  type ErrorTurn,
  type ScriptedTurn,
} from "./openai-provider-turns.js";

export * from "./openai-provider-turns.js";

/** One request exactly as the provider received it (recorded before any check, so rejected ones are here too). */
export interface RecordedRequest {
  method: string;
  /** Path and query, e.g. `/v1/chat/completions`. */
  path: string;
  /** Lower-cased header names, as Node parses them. */
  headers: IncomingHttpHeaders;
  /** Name/value pairs as sent, duplicates included. */
  rawHeaders: string[];
  /** The parsed JSON body; `undefined` when there was none or it was not JSON (see `rawBody`). */
  body: Record<string, unknown> | undefined;
  rawBody: string;
}

/** Options of {@link startScriptedProvider}. */
export interface ScriptedProviderOptions {
  /** The only key accepted in `Authorization: Bearer <key>`. */
  apiKey: string;
  /** Turns consumed in order, one per chat/responses request. */
  turns?: ScriptedTurn[];
  /** Answers a request once `turns` is empty (or always, without `turns`). */
  respond?: (request: RecordedRequest) => ScriptedTurn | Promise<ScriptedTurn>;
  /** Ids listed by `GET /v1/models`; default `gpt-4o` and `gpt-4o-mini`. */
  models?: string[];
}

/** A running scripted OpenAI-compatible provider. */
export interface ScriptedProvider {
  /** Base URL ending in `/v1`, e.g. `http://127.0.0.1:41234/v1`. */
  url: string;
  /** Every request received so far, in order. */
  requests: RecordedRequest[];
  /** Appends turns to the script. */
  push(...turns: ScriptedTurn[]): void;
  /** How many scripted turns are still queued. */
  remaining(): number;
  /** How many connections closed before their answer was complete (the client went away, or a drop turn). */
  abandoned(): number;
  /** Stops listening, drops open connections and ends every pending stall. */
  close(): Promise<void>;
}

type Json = Record<string, unknown>;

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

const sendError = (res: ServerResponse, turn: ErrorTurn) =>
  sendJson(res, turn.status, turn.body, turn.retryAfter === undefined ? {} : { "retry-after": turn.retryAfter });

async function readRequest(req: IncomingMessage): Promise<RecordedRequest> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  const rawBody = Buffer.concat(parts).toString("utf8");
  let body: Json | undefined;
  try {
    const parsed: unknown = rawBody === "" ? undefined : JSON.parse(rawBody);
    if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) body = parsed as Json;
  } catch {
    body = undefined;
  }
  const { method = "", url: path = "", headers, rawHeaders } = req;
  return { method, path, headers, rawHeaders, body, rawBody };
}

// OpenAI's own wording for a missing key and for a wrong one (without echoing any part of the key).
function authError(authorization: string | undefined): ErrorTurn {
  if (!authorization?.startsWith("Bearer "))
    return httpError(401, {
      message: "You didn't provide an API key. Provide it in an Authorization header using Bearer auth.",
      code: null,
    });
  return httpError(401);
}

/** Starts a scripted provider on 127.0.0.1 (free port); see the module's turn constructors for the script. */
export async function startScriptedProvider(options: ScriptedProviderOptions): Promise<ScriptedProvider> {
  const queue = [...(options.turns ?? [])];
  const requests: RecordedRequest[] = [];
  const closing = new AbortController();
  const models = options.models ?? ["gpt-4o", "gpt-4o-mini"];
  let abandoned = 0;

  const nextTurn = async (request: RecordedRequest): Promise<ScriptedTurn> => {
    const turn = queue.shift() ?? (await options.respond?.(request));
    return turn ?? httpError(500, { message: `scripted provider: no turn left for ${request.path}` });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const request = await readRequest(req);
    requests.push(request);
    if (request.headers.authorization !== `Bearer ${options.apiKey}`)
      return sendError(res, authError(request.headers.authorization));
    const route = `${request.method} ${request.path.split("?")[0]}`;
    if (route === "GET /v1/models")
      return sendJson(res, 200, {
        object: "list",
        data: models.map((id) => ({ id, object: "model", created: 1715367049, owned_by: "system" })),
      });
    if (route !== "POST /v1/chat/completions" && route !== "POST /v1/responses")
      return sendError(res, httpError(404, { message: `Invalid URL (${route})`, code: null }));
    const body = request.body;
    if (typeof body?.["model"] !== "string")
      return sendError(res, httpError(400, { message: "you must provide a model parameter" }));
    const signal = AbortSignal.any([closing.signal, abortOnClose(res)]);
    await serveTurn(await nextTurn(request), { res, body, chat: route.endsWith("/chat/completions"), signal });
  };

  const server = createServer((req, res) => {
    res.on("close", () => {
      if (!res.writableFinished) abandoned += 1;
    });
    handle(req, res).catch(() => {
      // An aborted wait (client gone, provider closing) or a write to a dead socket: nothing left to answer.
      if (!res.headersSent && !res.destroyed) sendError(res, httpError(500));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    push: (...turns) => void queue.push(...turns),
    remaining: () => queue.length,
    abandoned: () => abandoned,
    close: () => {
      closing.abort();
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function abortOnClose(res: ServerResponse): AbortSignal {
  const gone = new AbortController();
  res.on("close", () => gone.abort());
  return gone.signal;
}

interface Exchange {
  res: ServerResponse;
  body: Json;
  chat: boolean;
  signal: AbortSignal;
}

async function serveTurn(turn: ScriptedTurn, ex: Exchange): Promise<void> {
  if (turn.delayMs) await sleep(turn.delayMs, undefined, { signal: ex.signal });
  if (turn.kind === "drop") return void ex.res.socket?.destroy();
  if (turn.kind === "error") return sendError(ex.res, turn);
  const ctx = answerContext(turn, ex.body);
  if (ex.body["stream"] !== true)
    return sendJson(ex.res, 200, ex.chat ? chatCompletion(turn, ctx) : responseObject(turn, ctx, ex.body));
  const options = ex.body["stream_options"] as Json | undefined;
  const events: SseEvent[] = ex.chat
    ? chatChunks(turn, ctx, options?.["include_usage"] === true)
    : responseEvents(turn, ctx, ex.body);
  const failAt = turn.errorAfterEvents;
  const sent =
    failAt === undefined ? events : failStream(events, failAt, turn.errorMessage ?? "stream failed", ex.chat);
  await writeSse(ex.res, sent, turn, ex.signal);
}

// Usage defaults: the conversation sent (messages / input) and the answer produced, at ~4 characters a token.
function answerContext(turn: AnswerTurn, body: Json): AnswerContext {
  const prompt = JSON.stringify(body["messages"] ?? body["input"] ?? "");
  const answer = turn.chunks.join("") + turn.toolCalls.map((c) => c.name + c.arguments).join("");
  return {
    model: turn.model ?? String(body["model"]),
    created: Math.floor(Date.now() / 1000),
    usage: {
      input: turn.usage?.input ?? estimateTokens(prompt),
      output: turn.usage?.output ?? estimateTokens(answer),
      cached: turn.usage?.cached ?? 0,
      reasoning: turn.usage?.reasoning ?? 0,
    },
  };
}
