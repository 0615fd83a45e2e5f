import type { Caller } from "../../policy/admission";

/**
 * A routed request of a modern (2026-07-28) client, as the SDK v2 front end hands it to the bridge. Structurally the
 * `ModernCallInput` of broker/src/modern/upstream-call.ts, so the bridge is a `ModernCaller` there.
 */
export interface ModernCallInput {
  caller: Caller;
  /** The bearer token the caller authenticated with (JWT callers): per-consumer servers get its own credentials. */
  callerToken?: string;
  method: "tools/call" | "prompts/get" | "resources/read" | "completion/complete";
  /** The params as the client sent them: `_meta` included, names and URIs still prefixed. */
  params: Record<string, unknown>;
  requestId: string | number;
  /** The request's `_meta` `io.modelcontextprotocol/clientCapabilities`. */
  clientCapabilities: Record<string, unknown>;
  /** The request's `_meta` `io.modelcontextprotocol/logLevel`, when it asked for log messages. */
  logLevel?: string;
  /** Aborts when the client goes away or cancels. */
  signal: AbortSignal;
  /** Sends a notification on the response stream of this request (progress, log messages). */
  notify(notification: { method: string; params?: Record<string, unknown> }): Promise<void>;
}

/** A complete result, or an input_required result (SEP-2322) the client answers by retrying. */
export type ModernCallOutcome =
  | { kind: "result"; result: Record<string, unknown> }
  | { kind: "input_required"; inputRequests?: Record<string, unknown>; requestState?: string };

/** Answers one routed request of a modern client; failures are thrown as GatewayErrors. */
export type ModernCaller = (input: ModernCallInput) => Promise<ModernCallOutcome>;
