import { GatewayError, JsonRpcErrorCode, type Caller } from "@mcp-gateway/core";

/**
 * One routed call from a modern (2026-07-28) client, as the front end hands it to the call bridge: the front end has
 * authenticated the caller and checked that the prefixed name resolves in the catalog; admission (policy, rate
 * limits, audit), the upstream's generation and the upstream exchange are the bridge's.
 */
export interface ModernCallInput {
  caller: Caller;
  method: "tools/call" | "prompts/get" | "resources/read" | "completion/complete";
  /** As the client sent them, `_meta` included, names still prefixed. */
  params: Record<string, unknown>;
  requestId: string | number;
  clientCapabilities: Record<string, unknown>;
  logLevel?: string;
  signal: AbortSignal;
  notify(notification: { method: string; params?: Record<string, unknown> }): Promise<void>;
}

/** What a routed modern call ends with: a final result, or an input-required round for the client to answer. */
export type ModernCallOutcome =
  | { kind: "result"; result: Record<string, unknown> }
  | { kind: "input_required"; inputRequests?: Record<string, unknown>; requestState?: string };

/** Carries one routed modern call to its upstream (the call bridge); throws a GatewayError on failure. */
export type ModernCaller = (input: ModernCallInput) => Promise<ModernCallOutcome>;

/**
 * The placeholder until the call bridge is wired in: every routed modern call fails with a clear internal error, so
 * nothing pretends to work (and no upstream is reached without the bridge's admission).
 */
export const callUpstreamModern: ModernCaller = (input) =>
  Promise.reject(
    new GatewayError(
      JsonRpcErrorCode.InternalError,
      `${input.method} from 2026-07-28 clients is not wired to upstreams yet (call bridge missing)`,
      { id: input.requestId, httpStatus: 500 },
    ),
  );
