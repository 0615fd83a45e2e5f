import { nullRecord } from "../own-keys";

/**
 * MCP methods a metric's `method` label may carry (2025-06-18 and 2025-11-25 methods, the tasks extension, and the
 * gateway's 2026 front end); any other method is counted as "other", so a client cannot grow the label set.
 */
export const METRIC_METHODS: ReadonlySet<string> = new Set([
  "initialize",
  "ping",
  "tools/list",
  "tools/call",
  "prompts/list",
  "prompts/get",
  "resources/list",
  "resources/templates/list",
  "resources/read",
  "resources/subscribe",
  "resources/unsubscribe",
  "completion/complete",
  "logging/setLevel",
  "tasks/get",
  "tasks/list",
  "tasks/result",
  "tasks/cancel",
  "tasks/update",
  "server/discover",
  "subscriptions/listen",
  "notifications/initialized",
  "notifications/cancelled",
  "notifications/progress",
  "notifications/roots/list_changed",
]);

/** The `method` label for a JSON-RPC method: itself when allow-listed, "other" otherwise, "none" when unknown. */
export function methodLabel(method: string | undefined): string {
  if (method === undefined || method === "") return "none";
  return METRIC_METHODS.has(method) ? method : "other";
}

/** Bounds one label's values: the first `limit` distinct values keep their name, later ones become "other". */
export class LabelCap {
  private readonly seen = new Set<string>();

  constructor(private readonly limit: number) {}

  /** The label value to record for `value`. */
  label(value: string): string {
    if (this.seen.has(value)) return value;
    if (this.seen.size >= this.limit) return "other";
    this.seen.add(value);
    return value;
  }
}

/** One finished MCP request, as a latency histogram labels it. */
export interface RequestLabelInput {
  /** A configured server name, "broker" for what the broker answers itself, "none" when refused before routing. */
  server: string;
  method: string | undefined;
  outcome: string;
  /** The exposed tool name of a tools/call. */
  tool?: string | undefined;
}

/** Label names and values of the request latency histograms: bounded methods, and a capped, optional tool label. */
export class RequestLabeler {
  /** The histogram's label names (with `tool` only when the tool label is switched on). */
  readonly labelNames: readonly string[];
  private readonly tools: LabelCap | undefined;

  constructor(options: { toolLabel?: boolean | undefined; toolLabelLimit?: number | undefined } = {}) {
    this.tools = options.toolLabel ? new LabelCap(options.toolLabelLimit ?? 50) : undefined;
    this.labelNames = this.tools ? ["server", "method", "outcome", "tool"] : ["server", "method", "outcome"];
  }

  /** The label values for one request. */
  labels(input: RequestLabelInput): Record<string, string> {
    const labels = nullRecord([
      ["server", input.server],
      ["method", methodLabel(input.method)],
      ["outcome", input.outcome],
    ]);
    if (this.tools) labels["tool"] = input.tool === undefined ? "none" : this.tools.label(input.tool);
    return labels;
  }
}

/** Buckets of the request latency histograms, in seconds: a cached list in a millisecond, a slow tool in 30 s. */
export const REQUEST_SECONDS_BUCKETS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];
