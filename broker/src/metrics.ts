import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";

/** The broker's Prometheus metrics; labels are bounded (methods the broker serves, configured servers). */
export class BrokerMetrics {
  readonly registry = new Registry();
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
  readonly upstreamUp = new Gauge({
    name: "mcp_broker_upstream_up",
    help: "1 when the upstream is ready, 0 otherwise",
    labelNames: ["server"],
    registers: [this.registry],
  });
  readonly upstreamTools = new Gauge({
    name: "mcp_broker_upstream_tools",
    help: "Tools exposed per upstream",
    labelNames: ["server"],
    registers: [this.registry],
  });

  readonly forwardedCalls = new Counter({
    name: "mcp_gateway_forwarded_total",
    help: "Routed calls forwarded by the standalone gateway, by server and outcome (ok, healed, upstream_error, rejected)",
    labelNames: ["server", "outcome"],
    registers: [this.registry],
  });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: "mcp_broker_" });
  }
}
