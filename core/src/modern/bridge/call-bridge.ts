import { randomBytes } from "node:crypto";
import { GatewayError, JsonRpcErrorCode, logUnexpected, type JsonRpcId } from "../../errors";
import type { GatewayContext } from "../../gateway-context";
import type { RequestStateRejection } from "../request-state";
import { BridgedCall, type RoundInput } from "./bridged-call";
import { HeldCalls } from "./held-calls";
import { answersFor, type PendingInput } from "./input-requests";
import { admitModern, type ModernAdmission, type ModernAdmissionDeps } from "./modern-admission";
import type { ModernCallInput, ModernCallOutcome, ModernCaller } from "./modern-call";
import { clientProgressToken, paramsDigest } from "./modern-key";
import { modernResult, upstreamError } from "./modern-result";
import { isLogLevel } from "./round-notifications";
import { resultOutcome } from "../../audit/reply-outcome";
import { startUpstreamCall } from "./start-call";
import { consumerAuth } from "../../upstream-auth/call-auth";
import { withConsumerAuth } from "../../upstream-auth/upstream-credentials";

/** Wait after a round's first input request for more sent together (one upstream handler asking in parallel). */
const GATHER_MS = 20;

/** The bridge from modern (2026-07-28) clients to 2025-generation upstreams, and its held calls. */
export interface CallBridge {
  /** Answers one routed request of a modern client (the front end's `ModernCaller`). */
  readonly call: ModernCaller;
  /** Calls held now, waiting for clients' input responses. */
  held(): number;
  /** Cancels every held call (shutdown). */
  close(): void;
}

/** Options of {@link createCallBridge}. */
export interface CallBridgeOptions {
  /** This process's replica id, sealed into every requestState so another replica can send the retry here. */
  replica?: string;
}

const STATE_REFUSALS: Readonly<Record<RequestStateRejection | "absent" | "gone" | "busy" | "stale", string>> = {
  malformed: "requestState is not a state this gateway issued",
  tampered: "requestState failed its integrity check (altered, or issued under another secret)",
  expired: "requestState has expired (sessions.requestStateTtl); send the request again without it",
  "other-consumer": "requestState was issued to another consumer",
  "other-request": "requestState was issued for another request (method, target or arguments differ)",
  absent:
    "requestState refers to an upstream call this gateway process no longer holds (it completed, expired, or was held by another replica or before a restart); send the request again without requestState",
  gone: "requestState refers to an upstream call held on a replica that is gone (another gateway replica that stopped, restarted or cannot be reached); send the request again without requestState",
  busy: "requestState refers to an upstream call another retry is answering right now",
  stale: "requestState was already answered (a newer one was issued); retry with the latest requestState",
};

function refusedState(reason: keyof typeof STATE_REFUSALS, id: JsonRpcId): GatewayError {
  return new GatewayError(JsonRpcErrorCode.InvalidParams, STATE_REFUSALS[reason], { id });
}

/**
 * Builds the call bridge over a gateway context: a modern client's `tools/call`, `prompts/get`, `resources/read` or
 * `completion/complete` for a 2025 upstream is admitted like a legacy routed call, sent on the backend session keyed
 * by (consumer, client capabilities), and its upstream server-to-client requests become input_required results whose
 * sealed requestState resumes the held upstream call on retry (SEP-2322). See docs/protocol.md for the limits.
 */
export function createCallBridge(context: GatewayContext, options: CallBridgeOptions = {}): CallBridge {
  const bridge = new ModernCallBridge(context, options.replica);
  return { call: (input) => bridge.call(input), held: () => bridge.held.size, close: () => bridge.held.close() };
}

class ModernCallBridge {
  readonly held: HeldCalls;
  private readonly deps: ModernAdmissionDeps;

  constructor(
    private readonly context: GatewayContext,
    private readonly replica: string | undefined,
  ) {
    this.deps = {
      config: () => context.config(),
      catalog: (endpoint) => context.upstreams.catalogFor(endpoint),
      security: context.security.gate,
      backendSessions: context.backendSessions,
    };
    this.held = new HeldCalls(() => context.config().limits);
  }

  async call(input: ModernCallInput): Promise<ModernCallOutcome> {
    const id = input.requestId;
    if (input.logLevel !== undefined && !isLogLevel(input.logLevel)) {
      throw new GatewayError(JsonRpcErrorCode.InvalidParams, `unknown log level ${JSON.stringify(input.logLevel)}`, {
        id,
      });
    }
    const state = input.params["requestState"];
    if (state !== undefined && typeof state !== "string") {
      throw new GatewayError(JsonRpcErrorCode.InvalidParams, "requestState must be the string the gateway issued", {
        id,
      });
    }
    const upstreamId = `mcpgw-${randomBytes(12).toString("base64url")}`;
    const admitted = await admitModern(this.deps, input, upstreamId);
    try {
      // Every request of the call (initialize, the call, answers, cancellation) is the caller's: a per-consumer
      // server gets the caller's own credentials, never the discovery token (no caller token: refused, named).
      const { server } = admitted;
      const auth = await consumerAuth(this.context.credentials, server, input.callerToken);
      const admission = { ...admitted, server: withConsumerAuth(server, auth) };
      const outcome =
        state === undefined
          ? await this.start(admission, input, upstreamId)
          : await this.resume(admission, input, state);
      // input_required ends this round, not the call: the round is audited as answered (its outcome is "ok").
      admission.audit.finish(200, outcome.kind === "result" ? resultOutcome(outcome.result) : "ok");
      return outcome;
    } catch (error: unknown) {
      admitted.audit.finish(null);
      const failure = GatewayError.from(error, id);
      logUnexpected(this.context.logger, failure, { phase: "modern-bridge" });
      throw failure;
    }
  }

  /** A first request: the call goes upstream and its first round runs. */
  private async start(
    admission: ModernAdmission,
    input: ModernCallInput,
    upstreamId: string,
  ): Promise<ModernCallOutcome> {
    const limits = this.context.config().limits;
    const started = await startUpstreamCall(this.context, this.deps, admission, input, upstreamId);
    if (started.kind === "error") throw started.error;
    const options = {
      http: this.context.http,
      server: admission.server,
      backend: started.backend,
      upstreamId,
      capabilities: input.clientCapabilities,
      postTimeoutMs: limits.upstreamTimeout,
      gatherMs: GATHER_MS,
      logger: this.context.logger,
    };
    return this.drive(new BridgedCall(options, started.reply), admission, input);
  }

  /** A retry: the state is checked against this request, the held call claimed, the answers sent, the next round run. */
  private async resume(admission: ModernAdmission, input: ModernCallInput, state: string): Promise<ModernCallOutcome> {
    const id = input.requestId;
    const consumer = admission.caller.identity.consumer;
    const opened = this.context.requestStates.open(state, {
      consumer,
      server: admission.server.name,
      method: input.method,
      target: admission.exposed,
      params: paramsDigest(input.params),
    });
    if (!opened.ok) throw refusedState(opened.reason, id);
    const claimed = this.held.claim(opened.claims.held, consumer, opened.claims.round);
    // Held elsewhere: the replicas' forwarding (broker/src/replicas) sends such a retry to the holder when it can.
    const elsewhere = opened.claims.replica !== undefined && opened.claims.replica !== this.replica;
    if (typeof claimed === "string") throw refusedState(claimed === "absent" && elsewhere ? "gone" : claimed, id);
    let answers;
    try {
      answers = answersFor(claimed.inputs(), input.params["inputResponses"], id);
    } catch (error: unknown) {
      // A malformed answer changes nothing: the same state stays valid for a corrected retry.
      this.held.hold(claimed, consumer, Math.max(1, opened.claims.expiresAtMs - Date.now()), id);
      throw error;
    }
    try {
      await claimed.answer(answers.values());
    } catch (error: unknown) {
      claimed.cancel("the upstream refused an answer");
      this.held.release(claimed);
      throw error;
    }
    return this.drive(claimed, admission, input);
  }

  /** Runs one round of `bridged` for this request and turns its outcome into the client's. */
  private async drive(
    bridged: BridgedCall,
    admission: ModernAdmission,
    input: ModernCallInput,
  ): Promise<ModernCallOutcome> {
    const round: RoundInput = {
      notify: (notification) => input.notify(notification),
      progressToken: clientProgressToken(input.params),
      logLevel: input.logLevel,
      signal: input.signal,
      idleMs: this.context.config().limits.streamIdleTimeout,
    };
    let outcome;
    try {
      outcome = await bridged.run(round);
    } catch (error: unknown) {
      this.held.release(bridged);
      throw error;
    }
    if (outcome.kind === "input") return this.inputRequired(bridged, admission, input, outcome.inputs);
    this.held.release(bridged);
    const error = upstreamError(outcome.message, admission, input.requestId);
    if (error !== undefined) throw error;
    const result = modernResult(outcome.message, admission);
    return { kind: "result", result };
  }

  /** Holds the call and seals the state of its next round. */
  private inputRequired(
    bridged: BridgedCall,
    admission: ModernAdmission,
    input: ModernCallInput,
    inputs: PendingInput[],
  ): ModernCallOutcome {
    const ttl = this.context.config().sessions.requestStateTtl;
    const consumer = admission.caller.identity.consumer;
    try {
      this.held.hold(bridged, consumer, ttl, input.requestId);
    } catch (error: unknown) {
      bridged.cancel("too many calls are waiting for input");
      throw error;
    }
    bridged.round += 1;
    const requestState = this.context.requestStates.seal(
      {
        consumer,
        server: admission.server.name,
        held: bridged.id,
        method: input.method,
        target: admission.exposed,
        params: paramsDigest(input.params),
        round: bridged.round,
        ...(this.replica === undefined ? {} : { replica: this.replica }),
      },
      ttl,
    );
    // Keys are the bridge's own (`elicitation-1`, ...), never client data.
    const inputRequests = Object.fromEntries(inputs.map((p) => [p.key, { method: p.method, params: p.params }]));
    return { kind: "input_required", inputRequests, requestState };
  }
}
