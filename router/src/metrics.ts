import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** The router's Prometheus metrics. Labels are bounded: phases, routed methods, outcomes and configured servers. */
export class RouterMetrics {
  readonly registry = new Registry();
  private readonly decisions = new Counter({
    name: "mcp_router_decisions_total",
    help: "Routing decisions by target (tools/call, prompts/get, resources/read, broker, invalid) and outcome",
    labelNames: ["target", "outcome"],
    registers: [this.registry],
  });
  private readonly phaseSeconds = new Histogram({
    name: "mcp_router_processing_seconds",
    help: "Time to answer one ext_proc message, by phase",
    labelNames: ["phase"],
    buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1, 5],
    registers: [this.registry],
  });
  private readonly backendSessions = new Counter({
    name: "mcp_router_backend_sessions_total",
    help: "Backend session acquisitions by server and outcome (reused, created, joined, failed)",
    labelNames: ["server", "outcome"],
    registers: [this.registry],
  });
  private readonly healed = new Counter({
    name: "mcp_router_sessions_healed_total",
    help: "Calls replayed on a fresh backend session after the upstream answered 404",
    labelNames: ["server"],
    registers: [this.registry],
  });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: "mcp_router_" });
  }

  /** Counts one routing decision. */
  decision(target: string, outcome: string): void {
    this.decisions.inc({ target, outcome });
  }

  /** Records the time spent answering one ext_proc message. */
  observePhase(phase: string, seconds: number): void {
    this.phaseSeconds.observe({ phase }, seconds);
  }

  /** Counts a backend session acquisition. */
  backendSession(server: string, outcome: string): void {
    this.backendSessions.inc({ server, outcome });
  }

  /** Counts a replay after a lost backend session. */
  sessionHealed(server: string): void {
    this.healed.inc({ server });
  }
}
