import { Counter, type Registry } from "prom-client";
import type { SessionEndReason, SessionEndResult } from "@mcp-gateway/core";

/**
 * Backend sessions the gateway stopped using: ended upstream with DELETE (any answer, 404 and 405 included; outcome
 * deleted), deliberately left to the upstream (outcome not_sent: a per-consumer server's session without a consumer's
 * credential), or not ended: no answer (failed) or the ending queue was full (dropped). Every process that holds
 * backend sessions exports them.
 */
export class SessionEndMetrics {
  private readonly ended: Counter<"server" | "reason" | "outcome">;
  private readonly failed: Counter<"server" | "reason" | "result">;

  constructor(registry: Registry) {
    this.ended = new Counter({
      name: "mcp_gateway_backend_sessions_ended_total",
      help: "Backend sessions ended, by server, reason (evicted, idle, client_delete, server_removed, shutdown, superseded) and outcome (deleted: DELETE answered; not_sent: a per-consumer server's session without a consumer credential, left to the upstream's idle timeout)",
      labelNames: ["server", "reason", "outcome"],
      registers: [registry],
    });
    this.failed = new Counter({
      name: "mcp_gateway_backend_session_end_failures_total",
      help: "Backend sessions that could not be ended upstream, by server, reason and result (failed: no answer; dropped: queue full)",
      labelNames: ["server", "reason", "result"],
      registers: [registry],
    });
  }

  /** Counts one ending. */
  end(server: string, reason: SessionEndReason, result: SessionEndResult): void {
    if (result === "ended") this.ended.inc({ server, reason, outcome: "deleted" });
    else if (result === "not_sent") this.ended.inc({ server, reason, outcome: "not_sent" });
    else this.failed.inc({ server, reason, result });
  }
}
