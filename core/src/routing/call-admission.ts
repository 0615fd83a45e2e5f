import type { Admission } from "../policy/admission";
import type { RedactedCall } from "../sanitize";
import type { RouteDecision } from "./route";

/** A routing decision that names an upstream. */
export type UpstreamDecision = Extract<RouteDecision, { kind: "upstream" }>;

/**
 * What admission (policy, rate limits, audit) sees of a routed call, whichever path carries it (the pipeline for
 * both generations, the call bridge, the legacy bridge): `session` is the key the caller is known by there (its
 * gateway session, the modern backend-session key, or "" for a stateless call), `id` the client's request id.
 */
export function admissionOf(decision: UpstreamDecision, session: string, id: string | number = decision.id): Admission {
  return {
    method: decision.method,
    kind: decision.named.kind,
    exposed: decision.named.exposed,
    normalized: decision.named.normalized,
    server: decision.target.server.name,
    id,
    routedBytes: decision.body.length,
    args: decision.named.args,
    session,
  };
}

/** What redaction rules match a routed call by: its server, method and exposed target (both forms of a URI). */
export function redactionOf(decision: UpstreamDecision): RedactedCall {
  return {
    server: decision.target.server.name,
    method: decision.method,
    target: decision.named.exposed,
    normalizedTarget: decision.named.normalized,
  };
}
