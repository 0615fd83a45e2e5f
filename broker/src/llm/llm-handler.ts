import type { Request, RequestHandler, Response } from "express";
import { performance } from "node:perf_hooks";
import {
  checkChatRequest,
  chooseModel,
  exceedsJsonDepth,
  invalidRequest,
  LlmError,
  lookupOwn,
  nullRecord,
  offerTools,
  responsesInput,
  RoundBudget,
  tokenBudgetKey,
  type Caller,
  type GatewayContext,
  type LlmConfig,
  type LlmPolicyConfig,
  type ModelChoice,
  type Security,
  type TokenBudgets,
} from "@mcp-gateway/core";
import { runChat, streamChat } from "./chat-loop";
import { llmAuditEvent, type LlmEnd } from "./llm-audit";
import { asLlmError, sendLlmError } from "./llm-gate";
import type { LlmMetrics } from "./llm-metrics";
import { LlmRun } from "./llm-run";
import { McpToolSession } from "./mcp-tools";
import { ProviderCall } from "./provider-client";
import { runResponses, streamResponses } from "./responses-loop";
import { SseWriter } from "./sse-writer";

/** Dependencies of the LLM endpoints. */
export interface LlmDeps {
  context: GatewayContext;
  metrics: LlmMetrics;
  /** Token budgets per consumer; a policy with `tokens` is refused (503) without them. */
  budgets?: TokenBudgets | undefined;
  /**
   * The security runtime the LLM endpoints authenticate and audit with when the context's enforces nothing (a broker
   * behind a router in another process); absent: the context's.
   */
  security?: Security | undefined;
  /** True at the edge (standalone): without `llm.mcpUrl`, tools are reached at /mcp of the listener the request came to. */
  edge: boolean;
}

/** The two wire formats. */
export type LlmFormat = "chat" | "responses";

type Json = Record<string, unknown>;

/** What an LLM request got to: its model choice, its run. */
interface LlmState {
  choice?: ModelChoice;
  run?: LlmRun;
}

/** The credential headers the caller authenticated with, passed on so every tool call is the caller's own. */
function credentialHeaders(request: Request, context: GatewayContext): Record<string, string> {
  const auth = context.config().auth;
  const names = new Set(["authorization", ...(typeof auth === "object" && auth.apiKeys ? [auth.apiKeys.header] : [])]);
  const headers = nullRecord<string>();
  for (const name of names) {
    const value = request.headers[name];
    if (typeof value === "string") headers[name] = value;
  }
  return headers;
}

/** The `llm` section and the caller's policy's permissions; 404 without the section, 403 without permissions. */
function permissions(context: GatewayContext, caller: Caller): { llm: LlmConfig; policy: LlmPolicyConfig } {
  const config = context.config();
  if (!config.llm) throw new LlmError(404, "not_found_error", "the LLM endpoints are not configured (no llm section)");
  const policy = lookupOwn(config.policies, caller.identity.policy)?.llm;
  if (!policy)
    throw new LlmError(
      403,
      "permission_error",
      `consumer ${JSON.stringify(caller.identity.consumer)} may not use the LLM endpoints: its policy has no llm permissions`,
      { code: "llm_not_allowed" },
    );
  return { llm: config.llm, policy };
}

/** /mcp on the listener `request` came to (standalone: the gateway itself, on the address it accepted this request). */
export function ownMcpUrl(request: Request): string | undefined {
  const { localAddress, localPort } = request.socket;
  if (localAddress === undefined || localPort === undefined) return undefined;
  const host = localAddress.includes(":") ? `[${localAddress}]` : localAddress;
  return `http://${host}:${localPort}/mcp`;
}

/**
 * The request body as a JSON object; nested deeper than `limits.maxJsonDepth` it is refused (400) before any
 * recursive code (field checks, JSON.stringify towards the provider, audit) walks it, as /mcp refuses such a body.
 */
function parseBody(request: Request, maxDepth: number): Json {
  const raw: unknown = request.body;
  if (!Buffer.isBuffer(raw) || raw.length === 0) throw invalidRequest("expected a JSON request body");
  let body: unknown;
  try {
    body = JSON.parse(raw.toString("utf8"));
  } catch {
    throw invalidRequest("the request body is not valid JSON");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw invalidRequest("expected a JSON object");
  if (exceedsJsonDepth(body, maxDepth))
    throw invalidRequest(`the request body nests JSON deeper than ${maxDepth} levels (limits.maxJsonDepth)`);
  return body as Json;
}

function clientGone(request: Request, response: Response): AbortSignal {
  const controller = new AbortController();
  response.on("close", () => {
    if (!response.writableFinished) controller.abort();
  });
  request.on("aborted", () => controller.abort());
  return controller.signal;
}

/** Opens the MCP session for the caller's tools: at llm.mcpUrl, or (standalone) this listener's /mcp. */
async function openToolSession(
  deps: LlmDeps,
  request: Request,
  llm: LlmConfig,
  choice: ModelChoice,
): Promise<McpToolSession> {
  const url = llm.mcpUrl ?? (deps.edge ? ownMcpUrl(request) : undefined);
  if (url === undefined)
    throw new LlmError(
      503,
      "server_error",
      "llm.mcpUrl is not set: the gateway cannot reach its own MCP endpoint for tools",
    );
  const target = {
    url,
    credentials: credentialHeaders(request, deps.context),
    host: request.headers.host,
    timeoutMs: choice.provider.timeout,
  };
  try {
    return await McpToolSession.open(target);
  } catch (error: unknown) {
    const message = error instanceof Error ? error.message : String(error);
    throw new LlmError(502, "server_error", `the gateway's MCP endpoint refused the tool session: ${message}`);
  }
}

/** A stream's failure after its first event: sent as the stream's last event (the status is already 200). */
function endStreamWithError(out: SseWriter, format: LlmFormat, error: unknown): LlmError {
  const llmError = asLlmError(error);
  if (format === "chat") out.data(llmError.toBody());
  else out.event("error", { type: "error", code: llmError.code, message: llmError.message, param: llmError.param });
  out.end();
  return llmError;
}

/** Runs the tool loop and sends its answer: a JSON body, or the SSE stream with `stream: true`. */
async function answer(run: LlmRun, format: LlmFormat, body: Json, messages: Json[], response: Response): Promise<void> {
  if (body["stream"] !== true) {
    const reply = format === "chat" ? await runChat(run, body, messages) : await runResponses(run, body, messages);
    response.status(200).json(reply);
    return;
  }
  const out = new SseWriter(response);
  try {
    if (format === "chat") await streamChat(run, body, messages, out);
    else await streamResponses(run, body, messages, out);
  } catch (error: unknown) {
    if (!out.open) throw error;
    throw endStreamWithError(out, format, error);
  }
}

/** One LLM request from its body to its answer; `state` keeps what the audit event needs. */
async function serve(
  deps: LlmDeps,
  format: LlmFormat,
  request: Request,
  response: Response,
  state: LlmState,
): Promise<void> {
  const caller = response.locals["caller"] as Caller;
  const { llm, policy } = permissions(deps.context, caller);
  const body = parseBody(request, deps.context.config().limits.maxJsonDepth);
  // The conversation (chat messages or Responses input items), checked before anything is opened or sent.
  const messages = format === "chat" ? checkChatRequest(body) : responsesInput(body);
  const choice = chooseModel(llm, policy, body["model"]);
  state.choice = choice;
  const budget = new RoundBudget(deps.budgets, tokenBudgetKey(caller.identity.consumer), policy.tokens);
  await budget.check();
  const mcp = await openToolSession(deps, request, llm, choice);
  try {
    const tools = offerTools(await mcp.tools());
    const provider = new ProviderCall(choice.provider, clientGone(request, response));
    state.run = new LlmRun(choice, tools, mcp, provider, budget);
    await answer(state.run, format, body, messages, response);
  } finally {
    await state.run?.abandonRound().catch(() => undefined);
    await mcp.close();
  }
}

function decisionOf(error: LlmError): LlmEnd["decision"] {
  if (error.status === 429) return "rate_limited";
  if (error.status === 401) return "unauthenticated";
  if (error.status === 403) return "denied";
  return error.status < 500 ? "rejected" : "allowed";
}

/** The handler of POST /v1/chat/completions or /v1/responses (after the gate and the body reader). */
export function createLlmHandler(deps: LlmDeps, format: LlmFormat): RequestHandler {
  const method = format === "chat" ? "llm/chat.completions" : "llm/responses";
  return async function llmRequest(request: Request, response: Response): Promise<void> {
    const started = Date.now();
    const startedHr = performance.now();
    const state: LlmState = {};
    let end: LlmEnd;
    try {
      await serve(deps, format, request, response, state);
      end = { status: 200, decision: "allowed", reason: null, latencyMs: 0 };
    } catch (error: unknown) {
      const llmError = asLlmError(error);
      if (llmError.status >= 500 && !(error instanceof LlmError))
        deps.context.logger.error("LLM request failed", { error: (error as Error).message });
      // After a stream's first event the error went into the stream (sendLlmError leaves a sent response alone).
      sendLlmError(response, llmError);
      end = { status: llmError.status, decision: decisionOf(llmError), reason: llmError.message, latencyMs: 0 };
    }
    end.latencyMs = Math.round((performance.now() - startedHr) * 10) / 10;
    record(deps, method, request, response, started, state, end);
  };
}

function record(
  deps: LlmDeps,
  method: string,
  request: Request,
  response: Response,
  started: number,
  state: LlmState,
  end: LlmEnd,
): void {
  const caller = response.locals["caller"] as Caller | undefined;
  (deps.security ?? deps.context.security).audit?.record(
    llmAuditEvent(caller, method, request.path, started, { choice: state.choice, run: state.run, end }),
  );
  const { choice, run } = state;
  if (!choice) return;
  const labels = { provider: choice.provider.name, model: choice.model };
  const outcome =
    end.status < 400 ? "ok" : end.status === 429 ? "rate_limited" : end.status < 500 ? "rejected" : "error";
  deps.metrics.requestSeconds.observe({ ...labels, outcome }, end.latencyMs / 1000);
  if (!run) return;
  deps.metrics.countTokens(labels, caller?.identity.consumer ?? "anonymous", run.usage);
  for (const call of run.calls) deps.metrics.toolCalls.inc({ outcome: call.result.outcome });
}
