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
    // Ever-growing totals are counters (`_total`): rate() and increase() then survive a restart's reset to zero.
    const auditCounter = (name: string, help: string, read: (stats: ReturnType<AuditLog["stats"]>) => number): void => {
      new Counter({
        name,
        help,
        registers: [registry],
        collect() {
          const log = audit();
          this.reset();
          this.inc(log ? read(log.stats()) : 0);
        },
      });
    };
    auditCounter("mcp_gateway_audit_written_events_total", "Audit events written (all sinks)", (s) => s.written);
    auditCounter(
      "mcp_gateway_audit_dropped_events_total",
      "Audit events dropped because a sink's queue was full",
      (s) => s.dropped,
    );
    auditCounter(
      "mcp_gateway_audit_suppressed_events_total",
      "Refusals left off the audit log because their consumer's refusal budget was spent",
      (s) => s.suppressed,
    );
    auditCounter(
      "mcp_gateway_audit_failed_events_total",
      "Audit events a sink failed to write after retries",
      (s) => s.failed,
    );
  }

  /** Counts one refusal. */
  refusal(decision: string, reason: string): void {
    this.refusals.inc({ decision, reason });
  }
}
