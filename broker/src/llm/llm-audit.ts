import {
  AUDIT_FIELD_MAX_CHARS,
  AUDIT_REASON_MAX_CHARS,
  capText,
  type AuditDecision,
  type AuditEvent,
  type Caller,
  type ModelChoice,
} from "@mcp-gateway/core";
import type { LlmRun } from "./llm-run";

/** How an LLM request ended, for its audit event and metrics. */
export interface LlmEnd {
  status: number;
  decision: AuditDecision;
  /** The error message the client got; null on success. */
  reason: string | null;
  latencyMs: number;
}

/** The one audit event of an LLM request: who, which provider and model, tokens, the tool calls made, the end. */
export function llmAuditEvent(
  caller: Caller | undefined,
  method: string,
  path: string,
  started: number,
  parts: { choice: ModelChoice | undefined; run: LlmRun | undefined; end: LlmEnd },
): AuditEvent {
  const { choice, run, end } = parts;
  const usage = run?.usage ?? { input: 0, output: 0, total: 0 };
  return {
    time: new Date(started).toISOString(),
    consumer: caller ? capText(caller.identity.consumer, AUDIT_FIELD_MAX_CHARS) : null,
    session: null,
    method,
    server: choice?.provider.name ?? null,
    target: choice?.model ?? null,
    argsDigest: null,
    decision: end.decision,
    reason: end.reason === null ? null : capText(end.reason, AUDIT_REASON_MAX_CHARS),
    upstreamStatus: end.status,
    latencyMs: end.latencyMs,
    requestId: null,
    clientAddress: caller?.client?.address ?? null,
    userAgent: caller?.client?.userAgent ?? null,
    outcome: end.decision === "allowed" && end.status < 400 ? "ok" : null,
    endpoint: path,
    ...(choice
      ? {
          llm: {
            provider: choice.provider.name,
            model: choice.model,
            inputTokens: usage.input,
            outputTokens: usage.output,
            totalTokens: usage.total,
            toolCalls: (run?.calls ?? []).map((call) => ({
              name: capText(call.tool || call.fn, AUDIT_FIELD_MAX_CHARS),
              outcome: call.result.outcome,
            })),
          },
        }
      : {}),
  };
}
