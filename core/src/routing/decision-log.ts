import type { Logger } from "../logging";
import { refusalReason } from "../jsonrpc/refusal-reason";
import { capText } from "../text-cap";
import type { PipelineOutcome } from "./pipeline-types";

const DECISIONS = { broker: "broker", upstream: "routed", reject: "refused" } as const;

/**
 * Logs a routing decision at debug level (method, JSON-RPC id, server, target, decision, refusal reason) and returns
 * it. With debug off this is one level check: no field is built.
 */
export function logDecision(logger: Logger | undefined, outcome: PipelineOutcome): PipelineOutcome {
  if (!logger?.enabled("debug")) return outcome;
  const { facts } = outcome;
  logger.debug("routing decision", {
    // Client-chosen values, capped as the audit log caps them.
    method: facts.method === undefined ? undefined : capText(facts.method),
    id: typeof facts.id === "string" ? capText(facts.id, 64) : facts.id,
    server: facts.server,
    target: facts.target === undefined ? undefined : capText(facts.target),
    decision: DECISIONS[outcome.kind],
    ...(outcome.kind === "reject"
      ? { reason: refusalReason(outcome.error.code), status: outcome.error.httpStatus }
      : {}),
  });
  return outcome;
}
