import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parse } from "yaml";

/** The repository root (test/{src,dist}/support → ../../..). */
const REPO_ROOT = resolve(__dirname, "..", "..", "..");

/** examples/observability: the alert rules, the Prometheus config and the Grafana dashboard. */
export const OBSERVABILITY_DIR = join(REPO_ROOT, "examples", "observability");
export const ALERTS_FILE = join(OBSERVABILITY_DIR, "alerts.yml");
export const PROMETHEUS_FILE = join(OBSERVABILITY_DIR, "prometheus.yml");
export const DASHBOARD_FILE = join(OBSERVABILITY_DIR, "grafana", "dashboards", "mcp-gateway.json");

/** One alerting rule of alerts.yml. */
export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
}

/** The alerting rules of alerts.yml. */
export function alertRules(): AlertRule[] {
  const file = parse(readFileSync(ALERTS_FILE, "utf8")) as { groups: { rules: AlertRule[] }[] };
  return file.groups.flatMap((g) => g.rules);
}

/** A Grafana panel as far as the tests read it. */
export interface DashboardPanel {
  type: string;
  title: string;
  datasource?: unknown;
  targets?: { expr: string; datasource?: unknown }[];
}

/** The Grafana dashboard JSON. */
export function dashboard(): { panels: DashboardPanel[]; templating: { list: { name: string; type: string }[] } } {
  return JSON.parse(readFileSync(DASHBOARD_FILE, "utf8")) as ReturnType<typeof dashboard>;
}

/** Every PromQL expression of the dashboard's panels. */
export function dashboardExprs(): string[] {
  return dashboard().panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
}

const KEYWORDS = new Set(["and", "or", "unless", "by", "without", "on", "ignoring", "offset", "bool"]);

/**
 * The metric names a PromQL expression selects: identifiers that are not functions (followed by `(`), keywords,
 * label names (inside `{}` or a grouping list), durations or numbers. Enough for the expressions of these examples.
 */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // label values
    .replace(/\{[^}]*\}/g, " ") // label matchers
    .replace(/\[[^\]]*\]/g, " ") // range selectors ([5m], [$__rate_interval])
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ");
  const names = new Set<string>();
  for (const match of stripped.matchAll(/[A-Za-z_:][\w:]*(\s*\()?/g)) {
    const [token, call] = [match[0].replace(/\s*\($/, ""), match[1]];
    if (call === undefined && !KEYWORDS.has(token)) names.add(token);
  }
  return [...names].sort();
}

/** The metrics of docs/observability.md's table: name → type (histogram, counter, gauge). */
export function documentedMetricTypes(): Map<string, string> {
  const doc = readFileSync(join(REPO_ROOT, "docs", "observability.md"), "utf8");
  const types = new Map<string, string>();
  for (const line of doc.split("\n")) {
    const cells = line.split("|").map((cell) => cell.trim());
    const name = /^`(mcp_\w+)`/.exec(cells[1] ?? "")?.[1];
    const type = cells[6];
    if (name !== undefined && type !== undefined && /^(histogram|counter|gauge)$/.test(type)) types.set(name, type);
  }
  return types;
}

/** The series names the documented metrics expose (a histogram's `_bucket`, `_count` and `_sum`). */
export function documentedSeriesNames(): Set<string> {
  const names = new Set<string>();
  for (const [name, type] of documentedMetricTypes()) {
    if (type === "histogram") for (const suffix of ["_bucket", "_count", "_sum"]) names.add(`${name}${suffix}`);
    else names.add(name);
  }
  return names;
}
