import { Counter, Gauge, type Registry } from "prom-client";
import type { AuditLog } from "@mcp-gateway/core";

/**
 * Security metrics of a process that enforces (router, standalone gateway): refusals by decision and reason, and the
 * audit log's health. A sink that falls behind shows as a growing queue and lag, then as dropped events, never as
 * slower calls.
 */
export class SecurityMetrics {
  private readonly refusals: Counter<"decision" | "reason">;

  constructor(registry: Registry, audit: () => AuditLog | undefined) {
    this.refusals = new Counter({
      name: "mcp_gateway_refusals_total",
      help: "Requests refused by the gateway's security: unauthenticated, denied, rate_limited, rejected",
      labelNames: ["decision", "reason"],
      registers: [registry],
    });
    const auditGauge = (name: string, help: string, read: (stats: ReturnType<AuditLog["stats"]>) => number): void => {
      new Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          const log = audit();
          this.set(log ? read(log.stats()) : 0);
        },
      });
    };
    auditGauge("mcp_gateway_audit_queued_events", "Audit events waiting for a sink", (s) => s.queued);
    auditGauge(
      "mcp_gateway_audit_lag_seconds",
      "Age of the oldest audit event not yet written",
      (s) => s.oldestQueuedAgeMs / 1000,
    );
    auditGauge("mcp_gateway_audit_written_events", "Audit events written (all sinks, since start)", (s) => s.written);
    auditGauge(
      "mcp_gateway_audit_dropped_events",
      "Audit events dropped because a sink's queue was full (since start)",
      (s) => s.dropped,
    );
    auditGauge(
      "mcp_gateway_audit_suppressed_events",
      "Refusals left off the audit log because their consumer's refusal budget was spent (since start)",
      (s) => s.suppressed,
    );
    auditGauge(
      "mcp_gateway_audit_failed_events",
      "Audit events a sink failed to write after retries (since start)",
      (s) => s.failed,
    );
  }

  /** Counts one refusal. */
  refusal(decision: string, reason: string): void {
    this.refusals.inc({ decision, reason });
  }
}
