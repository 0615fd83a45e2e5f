import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { LlmMetrics } from "./llm/llm-metrics";
import { REQUEST_SECONDS_BUCKETS, RequestLabeler, type RequestLabelInput } from "@mcp-gateway/core";

/** Options of {@link BrokerMetrics}. */
export interface BrokerMetricsOptions {
  /** Node process metrics (`mcp_broker_process_*`, `mcp_broker_nodejs_*`); one registry per process exports them. */
  defaultMetrics?: boolean;
  /** `metrics.toolLabel`: label request latency by exposed tool name too (at most `toolLabelLimit` names). */
  toolLabel?: boolean;
  toolLabelLimit?: number;
  /** `metrics.consumerLabel`: label the LLM token counter by consumer too (at most `consumerLabelLimit` names). */
  consumerLabel?: boolean;
  consumerLabelLimit?: number;
  /** The standalone gateway's forwarding metrics are registered only when true (default false). */
  standalone?: boolean;
}

/** The broker's Prometheus metrics; labels are bounded (methods the broker serves, configured servers). */
export class BrokerMetrics {
  readonly registry = new Registry();
  /** The LLM endpoints' tokens, latency and tool calls. */
  readonly llm: LlmMetrics;
  readonly requests = new Counter({
    name: "mcp_broker_requests_total",
    help: "JSON-RPC messages handled by the broker, by method and outcome",
    labelNames: ["method", "outcome"],
    registers: [this.registry],
  });
  readonly sessions = new Counter({
    name: "mcp_broker_sessions_initialized_total",
    help: "Gateway sessions issued",
    registers: [this.registry],
  });
  readonly notifications = new Counter({
    name: "mcp_broker_notifications_relayed_total",
    help: "list_changed notifications relayed to clients, by kind",
    labelNames: ["kind"],
    registers: [this.registry],
  });
  readonly openStreams = new Gauge({
    name: "mcp_broker_open_streams",
    help: "Open GET notification streams",
    registers: [this.registry],
  });
  readonly openSessions = new Gauge({
    name: "mcp_broker_open_sessions",
    help: "Gateway sessions holding at least one open GET notification stream on this process",
    registers: [this.registry],
  });
  readonly upstreamUp = new Gauge({
    name: "mcp_broker_upstream_up",
    help: "1 when the upstream is ready, 0 otherwise",
    labelNames: ["server"],
    registers: [this.registry],
  });
  readonly upstreamTools = new Gauge({
    name: "mcp_broker_upstream_tools",
    help: "Tools exposed per upstream (after its tools include/exclude filter)",
    labelNames: ["server"],
    registers: [this.registry],
  });
  readonly upstreamConnectionsInUse = new Gauge({
    name: "mcp_broker_upstream_connections_in_use",
    help: "Call connections (limits.maxUpstreamConnections) this process holds to the upstream's origin now",
    labelNames: ["server"],
    registers: [this.registry],
  });
  readonly upstreamConnectionsQueued = new Gauge({
    name: "mcp_broker_upstream_connections_queued",
    help: "Calls waiting for a free call connection to the upstream's origin (each until its deadline, then 503)",
    labelNames: ["server"],
    registers: [this.registry],
  });
  readonly upstreamStreamsOpen = new Gauge({
    name: "mcp_broker_upstream_streams_open",
    help: "Long-lived upstream streams (GET notification, subscriptions/listen) open to the upstream's origin now",
    labelNames: ["server"],
    registers: [this.registry],
  });
  readonly forwardedCalls: Counter<"server" | "outcome">;
  private readonly labeler: RequestLabeler;
  private readonly requestSeconds: Histogram;

  constructor(options: BrokerMetricsOptions = {}) {
    this.llm = new LlmMetrics(this.registry, {
      consumerLabel: options.consumerLabel,
      consumerLabelLimit: options.consumerLabelLimit,
    });
    // Behind Envoy these never move (the router forwards): registered only in the standalone gateway.
    const registers = options.standalone ? [this.registry] : [];
    this.forwardedCalls = new Counter({
      name: "mcp_gateway_forwarded_total",
      help: "Routed calls forwarded by the standalone gateway, by server and outcome (ok, healed, upstream_error, rejected)",
      labelNames: ["server", "outcome"],
      registers,
    });
    this.labeler = new RequestLabeler(options);
    this.requestSeconds = new Histogram({
      name: "mcp_gateway_request_duration_seconds",
      help: "Standalone gateway: time from a POST /mcp's arrival to the end of its response, by server, method, outcome",
      labelNames: [...this.labeler.labelNames],
      buckets: [...REQUEST_SECONDS_BUCKETS],
      registers,
    });
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: "mcp_broker_" });
  }

  /** Records one finished request of the standalone gateway. */
  observeRequest(request: RequestLabelInput, seconds: number): void {
    this.requestSeconds.observe(this.labeler.labels(request), seconds);
  }
}
