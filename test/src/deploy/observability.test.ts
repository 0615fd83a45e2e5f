import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parse } from "yaml";
import {
  ALERTS_FILE,
  alertRules,
  dashboard,
  dashboardExprs,
  documentedSeriesNames,
  metricNames,
  OBSERVABILITY_DIR,
  PROMETHEUS_FILE,
} from "../support/observability-examples";
import { promtool } from "../support/prometheus";

// Debian's promtool (.ci/run installs the prometheus package when missing; these checks fail, never skip, without it).
describe("examples/observability", () => {
  it("alerts.yml passes promtool check rules", () => {
    const result = promtool(["check", "rules", ALERTS_FILE]);
    expect(result.output).toContain("SUCCESS");
    expect(result.status).toBe(0);
  });

  it("prometheus.yml passes promtool check config (its rule file included)", () => {
    const result = promtool(["check", "config", PROMETHEUS_FILE]);
    expect(result.output).toContain("is valid prometheus config file syntax");
    expect(result.status).toBe(0);
    const config = parse(readFileSync(PROMETHEUS_FILE, "utf8")) as { rule_files: string[] };
    expect(config.rule_files).toEqual(["alerts.yml"]);
  });

  it("has the alerts the issue asks for", () => {
    expect(alertRules().map((r) => r.alert)).toEqual([
      "McpGatewayUpstreamDown",
      "McpGatewayHighErrorRatio",
      "McpGatewayHighLatencyP99",
      "McpGatewayRateLimitRefusalsSpike",
      "McpGatewayAuditEventsDropped",
      "McpGatewayAuditLag",
    ]);
  });

  it("documents every alert in docs/observability.md", () => {
    const doc = readFileSync(resolve(OBSERVABILITY_DIR, "..", "..", "docs", "observability.md"), "utf8");
    const section = doc.slice(doc.indexOf("## Dashboards and alerts"));
    for (const rule of alertRules()) expect(section).toContain(`| \`${rule.alert}\``);
  });

  it("reads only metrics the gateway exports (docs/observability.md's table, checked against real scrapes)", () => {
    const documented = documentedSeriesNames();
    expect(documented.size).toBeGreaterThan(20);
    const exprs = [...alertRules().map((r) => r.expr), ...dashboardExprs()];
    const used = new Set(exprs.flatMap(metricNames));
    expect([...used].filter((name) => !documented.has(name))).toEqual([]);
    // Both modes' latency histograms, the upstream gauge, refusals and audit are covered.
    for (const name of [
      "mcp_gateway_request_duration_seconds_bucket",
      "mcp_router_request_duration_seconds_bucket",
      "mcp_broker_upstream_up",
      "mcp_broker_open_sessions",
      "mcp_router_open_streams",
      "mcp_gateway_refusals_total",
      "mcp_gateway_audit_written_events_total",
      "mcp_gateway_audit_dropped_events_total",
      "mcp_gateway_audit_lag_seconds",
    ])
      expect(used).toContain(name);
  });

  it("the name check sees through functions, keywords, label matchers and groupings", () => {
    const expr =
      'histogram_quantile(0.99, sum by (server, le) (rate(a_bucket{outcome!="x or y"}[$__rate_interval]) or b)) > 5';
    expect(metricNames(expr)).toEqual(["a_bucket", "b"]);
  });

  it("the dashboard picks its Prometheus through a datasource variable, never a hard-coded uid", () => {
    const board = dashboard();
    expect(board.templating.list).toContainEqual(expect.objectContaining({ name: "datasource", type: "datasource" }));
    const graphs = board.panels.filter((p) => p.type !== "row");
    expect(graphs.length).toBeGreaterThanOrEqual(9);
    for (const panel of graphs) {
      expect(panel.datasource).toEqual({ type: "prometheus", uid: "${datasource}" });
      for (const target of panel.targets ?? []) expect(target.datasource).toEqual(panel.datasource);
    }
  });
});
