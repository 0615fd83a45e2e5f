import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { REQUEST_SECONDS_BUCKETS, RequestLabeler, type RequestLabelInput } from "@mcp-gateway/core";

/** Options of {@link RouterMetrics}. */
export interface RouterMetricsOptions {
  /** Node process metrics (`mcp_router_process_*`, `mcp_router_nodejs_*`); one registry per process exports them. */
  defaultMetrics?: boolean;
  /** `metrics.toolLabel`: label request latency by exposed tool name too (at most `toolLabelLimit` names). */
  toolLabel?: boolean;
  toolLabelLimit?: number;
  /**
   * False in the standalone gateway, which has no ext_proc streams: only the backend session counter is registered
   * then, so its /metrics lists nothing that can never move. Default true.
   */
  extProc?: boolean;
}

/** The router's Prometheus metrics. Labels are bounded: phases, routed methods, outcomes and configured servers. */
export class RouterMetrics {
  readonly registry = new Registry();
  private readonly backendSessions = new Counter({
    name: "mcp_router_backend_sessions_total",
    help: "Backend session acquisitions by server and outcome (reused, created, joined, failed)",
    labelNames: ["server", "outcome"],
    registers: [this.registry],
  });
  private readonly decisions: Counter<"target" | "outcome">;
  private readonly phaseSeconds: Histogram<"phase">;
  /** Each phase's labelled histogram, looked up once (the phases are the ext_proc message kinds, a fixed few). */
  private readonly phases = new Map<string, ReturnType<Histogram<"phase">["labels"]>>();
  private readonly healed: Counter<"server">;
  private readonly streams: Gauge;
  private readonly requestSeconds: Histogram;
  private readonly labeler: RequestLabeler;

  constructor(options: RouterMetricsOptions = {}) {
    // The ext_proc-only metrics register nowhere in the standalone gateway.
    const registers = options.extProc === false ? [] : [this.registry];
    this.decisions = new Counter({
      name: "mcp_router_decisions_total",
      help: "Routing decisions by target (tools/call, prompts/get, resources/read, broker, invalid) and outcome",
      labelNames: ["target", "outcome"],
      registers,
    });
    this.phaseSeconds = new Histogram({
      name: "mcp_router_processing_seconds",
      help: "Time to answer one ext_proc message, by phase",
      labelNames: ["phase"],
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1, 5],
      registers,
    });
    this.healed = new Counter({
      name: "mcp_router_sessions_healed_total",
      help: "Calls replayed on a fresh backend session after the upstream answered 404",
      labelNames: ["server"],
      registers,
    });
    this.streams = new Gauge({
      name: "mcp_router_open_streams",
      help: "Open ext_proc streams (requests Envoy has in flight through the router)",
      registers,
    });
    this.labeler = new RequestLabeler(options);
    this.requestSeconds = new Histogram({
      name: "mcp_router_request_duration_seconds",
      help: "Envoy mode: time from a request's headers to the end of its ext_proc stream, by server, method, outcome",
      labelNames: [...this.labeler.labelNames],
      buckets: [...REQUEST_SECONDS_BUCKETS],
      registers,
    });
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: "mcp_router_" });
  }

  /** Counts one routing decision. */
  decision(target: string, outcome: string): void {
    this.decisions.inc({ target, outcome });
  }

  /** Records the time spent answering one ext_proc message. */
  observePhase(phase: string, seconds: number): void {
    let child = this.phases.get(phase);
    if (child === undefined) {
      child = this.phaseSeconds.labels({ phase });
      this.phases.set(phase, child);
    }
    child.observe(seconds);
  }

  /** Counts a backend session acquisition. */
  backendSession(server: string, outcome: string): void {
    this.backendSessions.inc({ server, outcome });
  }

  /** Records one finished ext_proc stream (one HTTP request through Envoy). */
  requestFinished(request: RequestLabelInput, seconds: number): void {
    this.requestSeconds.observe(this.labeler.labels(request), seconds);
  }

  /** Sets the number of open ext_proc streams. */
  openStreams(open: number): void {
    this.streams.set(open);
  }

  /** Counts a replay after a lost backend session. */
  sessionHealed(server: string): void {
    this.healed.inc({ server });
  }
}
