import type { Condition, MCPServer, MCPServerStatus } from "./api-types";
import type { Resolution } from "./resolve";

/** One upstream as the gateway's /status reports it (the fields the controller copies). */
export interface GatewayUpstream {
  name: string;
  state: string;
  protocolVersion?: string;
  generation?: string;
  toolCount?: number;
  promptCount?: number;
  resourceCount?: number;
  lastError?: string;
}

/** A condition, keeping the previous lastTransitionTime when its status did not change. */
function condition(
  previous: readonly Condition[],
  type: string,
  status: Condition["status"],
  reason: string,
  message: string,
  generation: number | undefined,
  now: string,
): Condition {
  const before = previous.find((c) => c.type === type);
  const lastTransitionTime = before && before.status === status ? before.lastTransitionTime : now;
  return {
    type,
    status,
    reason,
    message,
    lastTransitionTime,
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
  };
}

/** The status an MCPServer should have: Accepted from its resolution, Ready and counts from the gateway's /status
 * (`undefined` when the gateway could not be asked). */
export function desiredStatus(
  server: MCPServer,
  resolution: Resolution,
  upstream: GatewayUpstream | undefined,
  gatewayError: string | undefined,
  now: string,
): MCPServerStatus {
  const previous = server.status?.conditions ?? [];
  const generation = server.metadata.generation;
  const make = (type: string, status: Condition["status"], reason: string, message: string): Condition =>
    condition(previous, type, status, reason, message, generation, now);
  if (!resolution.ok) {
    return {
      observedGeneration: generation,
      lastError: resolution.message,
      conditions: [
        make("Accepted", "False", resolution.reason, resolution.message),
        make("Ready", "False", "NotAccepted", "the server is not in the gateway config"),
      ],
    };
  }
  const accepted = make("Accepted", "True", "Accepted", "in the gateway config");
  if (!upstream) {
    const message = gatewayError ?? "the gateway does not report this server yet (config not reloaded)";
    return {
      observedGeneration: generation,
      upstream: resolution.url,
      conditions: [accepted, make("Ready", "Unknown", "Pending", message)],
    };
  }
  const ready = upstream.state === "ready";
  return {
    observedGeneration: generation,
    upstream: resolution.url,
    ...(upstream.protocolVersion ? { protocolVersion: upstream.protocolVersion } : {}),
    ...(upstream.generation ? { generation: upstream.generation } : {}),
    toolCount: upstream.toolCount ?? 0,
    promptCount: upstream.promptCount ?? 0,
    resourceCount: upstream.resourceCount ?? 0,
    ...(upstream.lastError ? { lastError: upstream.lastError } : {}),
    conditions: [
      accepted,
      ready
        ? make("Ready", "True", "Ready", "the gateway lists the server's tools")
        : make("Ready", "False", "Unavailable", upstream.lastError ?? `upstream state ${upstream.state}`),
    ],
  };
}
