/**
 * The seam between the modern front end and the upstreams: the front end authenticates the caller and checks that
 * the prefixed name resolves; admission (policy, rate limits, audit), the upstream exchange and input-required
 * rounds belong to the call bridge (`createCallBridge` in core), which implements {@link ModernCaller}.
 */
export type { ModernCallInput, ModernCallOutcome, ModernCaller } from "@mcp-gateway/core";
