import { randomBytes } from "node:crypto";
import type { ServerConfig } from "../../config/schema";
import { GatewayError, JsonRpcErrorCode } from "../../errors";
import type { Logger } from "../../logging";
import { isJson, type Json } from "../../routing/result-uris";
import type { BackendSession } from "../../session/backend-store";
import type { StreamingReply, UpstreamHttp } from "../../upstream/upstream-http";
import { inputKey, isInputMethod, namedKey, undeclared, type PendingInput } from "./input-requests";
import { RoundNotifications, type RoundSink } from "./round-notifications";
import { UpstreamMessages } from "./upstream-messages";

/** Input requests outstanding at once in one call; an upstream asking for more gets errors for the rest. */
const MAX_PENDING_INPUTS = 16;

/** What one round of a bridged call ends with: the upstream's answer, or input requests for the client. */
export type RoundOutcome = { kind: "response"; message: Json } | { kind: "input"; inputs: PendingInput[] };

/** Everything a {@link BridgedCall} needs that does not change over its life. */
export interface BridgedCallOptions {
  http: UpstreamHttp;
  server: ServerConfig;
  backend: BackendSession;
  /** The gateway's id of the upstream request (also its progress token). */
  upstreamId: string;
  /** The modern client's declared capabilities (what it may be asked). */
  capabilities: Readonly<Record<string, unknown>>;
  /** Bound on each POST of an answer or a cancellation to the upstream. */
  postTimeoutMs: number;
  /** After the first input request of a round, how long to wait for more before asking the client. */
  gatherMs: number;
  logger?: Logger;
}

/** One round as the client's request drives it. */
export interface RoundInput extends RoundSink {
  signal: AbortSignal;
  /** Longest silence of the upstream while the client waits (limits.streamIdleTimeout). */
  idleMs: number;
}

/**
 * One upstream call of a modern client through the bridge, across the rounds of its input requests. It reads the
 * upstream's reply stream from start to end, also between rounds (held): server-to-client requests become pending
 * inputs (ping is answered at once, undeclared or unknown requests get an error), notifications go to the round's
 * client request (progress with the client's token, log messages at or above its level) or wait for the next round,
 * and the response to the gateway's request ends it. {@link run} drives one round.
 */
export class BridgedCall {
  /** The call's id in the held-call registry (random, bound into the sealed requestState). */
  readonly id = randomBytes(12).toString("base64url");
  /** Input rounds answered so far; the next requestState carries round + 1. */
  round = 0;
  private readonly pending = new Map<string, PendingInput>();
  private readonly notifications = new RoundNotifications();
  private readonly messages: UpstreamMessages;
  private keys = 0;
  private response: Json | undefined;
  private failure: GatewayError | undefined;
  private gathered = false;
  private gatherTimer: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly options: BridgedCallOptions,
    reply: StreamingReply,
  ) {
    this.messages = new UpstreamMessages(reply, options.server, {
      message: (message) => this.onMessage(message),
      end: (failure) => this.onEnd(failure),
    });
  }

  /** The inputs the client has not answered yet. */
  inputs(): PendingInput[] {
    return [...this.pending.values()];
  }

  /** True once the call has an answer or failed: nothing more will happen upstream. */
  get settled(): boolean {
    return this.response !== undefined || this.failure !== undefined;
  }

  /**
   * Runs one round: waits for the upstream's answer, or for input requests (those still unanswered are asked again
   * at once; new ones are gathered for `gatherMs` so requests sent together reach the client together). The client's
   * abort cancels the call upstream.
   */
  async run(round: RoundInput): Promise<RoundOutcome> {
    this.notifications.attach(round);
    this.gathered = this.pending.size > 0;
    const onAbort = (): void => this.cancel("the client cancelled the request");
    round.signal.addEventListener("abort", onAbort, { once: true });
    if (round.signal.aborted) onAbort();
    this.messages.idle(round.idleMs);
    try {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.check();
      });
    } finally {
      this.wake = undefined;
      clearTimeout(this.gatherTimer);
      this.gatherTimer = undefined;
      round.signal.removeEventListener("abort", onAbort);
      this.messages.idle(0);
      this.notifications.detach();
    }
    if (this.response !== undefined) return { kind: "response", message: this.response };
    if (this.failure !== undefined) throw this.failure;
    return { kind: "input", inputs: this.inputs() };
  }

  /** Sends the client's answers upstream (JSON-RPC responses with the upstream's ids); answered inputs are done. */
  async answer(answers: Iterable<{ input: PendingInput; answer: Json }>): Promise<void> {
    for (const { input, answer } of answers) {
      await this.post({ jsonrpc: "2.0", id: input.upstreamId, result: answer }, true);
      this.pending.delete(input.key);
    }
  }

  /** Cancels the call upstream (`notifications/cancelled`) and stops reading; a waiting round fails with `reason`. */
  cancel(reason: string): void {
    if (this.settled) return;
    this.failure = new GatewayError(JsonRpcErrorCode.UpstreamUnavailable, `call cancelled: ${reason}`, {
      httpStatus: 503,
    });
    this.messages.close();
    const cancelled = {
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId: this.options.upstreamId, reason },
    };
    void this.post(cancelled, false).catch(() => undefined);
    this.wake?.();
  }

  private check(): void {
    if (this.settled || (this.pending.size > 0 && this.gathered)) this.wake?.();
  }

  private onMessage(message: Json): void {
    const { method, id } = message;
    if (typeof method !== "string") {
      if (id === this.options.upstreamId) {
        this.response = message;
        this.messages.close();
        this.check();
      }
      return;
    }
    if (typeof id === "string" || typeof id === "number") this.onRequest(method, id, message["params"]);
    else this.onNotification(method, message);
  }

  private onRequest(method: string, id: string | number, rawParams: unknown): void {
    const params = isJson(rawParams) ? rawParams : {};
    if (method === "ping") return void this.reply(id, { result: {} });
    if (!isInputMethod(method))
      return void this.reply(id, { error: { code: -32601, message: `Method not found: ${method}` } });
    const missing = undeclared(method, params, this.options.capabilities);
    if (missing !== undefined) return this.refuseUndeclared(id, missing);
    if (this.pending.size >= MAX_PENDING_INPUTS) {
      return void this.reply(id, { error: { code: -32603, message: "too many input requests outstanding" } });
    }
    this.keys += 1;
    const key = namedKey(id, this.pending) ?? inputKey(method, this.keys);
    this.pending.set(key, { key, upstreamId: id, method, params });
    if (this.gatherTimer === undefined && this.wake !== undefined && !this.gathered) {
      this.gatherTimer = setTimeout(() => {
        this.gathered = true;
        this.check();
      }, this.options.gatherMs);
    }
  }

  /**
   * The upstream asked for a capability the client never declared: the upstream gets the error a client without it
   * would send, the call is cancelled upstream, and the client gets MissingRequiredClientCapabilityError (-32021, HTTP
   * 400) naming the capability, as the 2026-07-28 spec requires of a server that needs one.
   */
  private refuseUndeclared(id: string | number, missing: string): void {
    this.reply(id, { error: { code: -32601, message: `Client does not support ${missing}` } });
    const [name = missing, mode] = missing.split(".");
    const requiredCapabilities = { [name]: mode === undefined ? {} : { [mode]: {} } };
    const refusal = new GatewayError(
      JsonRpcErrorCode.MissingRequiredClientCapability,
      `server "${this.options.server.name}" needs the client capability ${missing}, which the request did not declare`,
      { httpStatus: 400, data: { requiredCapabilities } },
    );
    this.cancel(`the client did not declare ${missing}`);
    this.failure = refusal;
    this.wake?.();
  }

  private onNotification(method: string, message: Json): void {
    const params = isJson(message["params"]) ? message["params"] : {};
    if (method === "notifications/cancelled") {
      // The upstream withdrew one of its requests: the client is no longer asked for it.
      for (const [key, input] of this.pending) if (input.upstreamId === params["requestId"]) this.pending.delete(key);
      return;
    }
    if (method === "notifications/progress" && params["progressToken"] !== this.options.upstreamId) return;
    this.notifications.push(method, params);
  }

  private onEnd(failure: GatewayError | undefined): void {
    if (this.settled) return;
    this.failure =
      failure ??
      new GatewayError(
        JsonRpcErrorCode.UpstreamUnavailable,
        `server "${this.options.server.name}" ended the call without answering it`,
        {
          httpStatus: 502,
        },
      );
    this.check();
  }

  private async reply(id: string | number, body: { result: Json } | { error: Json }): Promise<void> {
    await this.post({ jsonrpc: "2.0", id, ...body }, false).catch(() => undefined);
  }

  /** POSTs a message on the call's backend session; `strict`: anything but a 2xx is an error naming the status. */
  private async post(message: object, strict: boolean): Promise<void> {
    const { http, server, backend, postTimeoutMs } = this.options;
    const reply = await http.post(server, message, {
      sessionId: backend.sessionId === "" ? undefined : backend.sessionId,
      protocolVersion: backend.protocolVersion,
      timeoutMs: postTimeoutMs,
    });
    if (strict && (reply.status < 200 || reply.status >= 300)) {
      throw new GatewayError(
        JsonRpcErrorCode.UpstreamUnavailable,
        `server "${server.name}" refused the client's answer (HTTP ${reply.status}); the call cannot continue`,
        { httpStatus: 502 },
      );
    }
  }
}
