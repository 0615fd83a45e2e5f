import { parseConfig, silentLogger } from "@mcp-gateway/core";
import { startGatewayProcess, type GatewayProcess } from "@mcp-gateway/cli";
import { startServer, type RunningServer } from "@mcp-gateway/example-weather";
import { pollUntil } from "../support/bounded-wait";
import { ALERTS_FILE, alertRules, dashboardExprs } from "../support/observability-examples";
import { startPrometheus, type PrometheusServer, type PromRule, type PromSample } from "../support/prometheus";

// A real Prometheus (Debian's binary) scrapes a standalone gateway on loopback every second, with the real alert rules
// of examples/observability loaded; the test reads the gateway's metrics and the rules' state back over its HTTP API.
jest.setTimeout(60_000);

let weather: RunningServer;
let doomed: RunningServer;
let gateway: GatewayProcess;
let prometheus: PrometheusServer;
let base: string;

async function post(body: object, session?: string): Promise<Response> {
  return fetch(`${base}/mcp`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...(session ? { "mcp-session-id": session } : {}),
    },
    body: JSON.stringify(body),
  });
}

async function callServerInfo(): Promise<void> {
  const params = {
    protocolVersion: "2025-06-18",
    capabilities: {},
    clientInfo: { name: "prometheus-test", version: "1" },
  };
  const init = await post({ jsonrpc: "2.0", id: 1, method: "initialize", params });
  const session = init.headers.get("mcp-session-id") ?? undefined;
  await init.text();
  const call = { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "weather_server_info", arguments: {} } };
  const reply = await post(call, session);
  await reply.text();
  expect(reply.status).toBe(200);
}

/** Polls `expr` until `done` holds for its samples (at most `ms`); returns the last samples. */
async function queryUntil(expr: string, done: (samples: PromSample[]) => boolean, ms = 20_000): Promise<PromSample[]> {
  let samples: PromSample[] = [];
  await pollUntil(
    async () => {
      samples = await prometheus.query(expr);
      return done(samples);
    },
    ms,
    250,
  );
  return samples;
}

beforeAll(async () => {
  [weather, doomed] = await Promise.all([startServer({ port: 0 }), startServer({ port: 0 })]);
  const yaml = `version: 1
auth: none
servers:
  - { name: weather, url: "${weather.url}" }
  - { name: doomed, url: "${doomed.url}" }
sessions: { secret: "prometheus-test-secret-0123456789abcdef", store: "memory" }
health: { interval: 200ms, maxBackoff: 500ms, timeout: 1s }
standalone: { listen: "127.0.0.1:0" }
`;
  gateway = await startGatewayProcess({
    config: parseConfig(yaml, {}),
    env: {},
    roles: { router: false, broker: true, standalone: true },
    logger: silentLogger,
    announce: () => undefined,
  });
  base = `http://127.0.0.1:${String(gateway.brokerPort)}`;
  const ready = await pollUntil(async () => (await fetch(`${base}/readyz`)).status === 200, 10_000);
  if (!ready) throw new Error("upstreams not ready within 10 s");
  await doomed.close(); // its port now refuses connections: the health checks mark it down
  prometheus = await startPrometheus([`127.0.0.1:${String(gateway.brokerPort)}`], [ALERTS_FILE]);
});

afterAll(async () => {
  await prometheus?.stop();
  await gateway?.close();
  await weather?.close();
});

describe("Prometheus scraping a standalone gateway", () => {
  it("returns a gateway metric through its query API after a call", async () => {
    await callServerInfo();
    const expr = 'mcp_gateway_request_duration_seconds_count{server="weather",method="tools/call",outcome="ok"}';
    const samples = await queryUntil(expr, (s) => s.some((x) => x.value >= 1));
    expect(samples).toEqual([expect.objectContaining({ value: 1 })]);
    expect(samples[0]?.metric).toMatchObject({ job: "mcp-gateway", server: "weather", method: "tools/call" });
  });

  it("loads every rule of examples/observability/alerts.yml and evaluates it with health ok", async () => {
    let rules: PromRule[] = [];
    await pollUntil(
      async () => {
        rules = await prometheus.rules();
        return rules.length > 0 && rules.every((r) => r.health !== "unknown");
      },
      20_000,
      250,
    );
    expect(rules.map((r) => r.name)).toEqual(alertRules().map((r) => r.alert));
    for (const rule of rules)
      expect({ name: rule.name, health: rule.health, error: rule.lastError ?? "" }).toEqual({
        name: rule.name,
        health: "ok",
        error: "",
      });
  });

  it("the upstream-down alert's expression selects the down upstream, and the alert goes pending for it", async () => {
    const upstreamDown = alertRules().find((r) => r.alert === "McpGatewayUpstreamDown");
    const down = await queryUntil(upstreamDown?.expr ?? "", (s) => s.length > 0);
    expect(down.map((s) => s.metric["server"])).toEqual(["doomed"]);
    let state: { labels: Record<string, string>; state: string }[] = [];
    await pollUntil(
      async () => {
        state = (await prometheus.rules()).find((r) => r.name === "McpGatewayUpstreamDown")?.alerts ?? [];
        return state.length > 0;
      },
      20_000,
      250,
    );
    // `for: 5m` keeps it pending in a short test; firing would follow.
    expect(state).toEqual([expect.objectContaining({ labels: expect.objectContaining({ server: "doomed" }) })]);
    expect(state[0]?.state).toMatch(/^(pending|firing)$/);
  });

  it("evaluates every dashboard query, and the request rate panel shows the server called", async () => {
    const exprs = dashboardExprs().map((e) => e.replaceAll("$__rate_interval", "1m"));
    for (const expr of exprs) await expect(prometheus.query(expr)).resolves.toBeDefined();
    const rate = exprs.find((e) => e.startsWith("sum by (server) (rate(mcp_gateway_request_duration_seconds_count["));
    const samples = await queryUntil(rate ?? "", (s) => s.some((x) => x.metric["server"] === "weather"));
    expect(samples.map((s) => s.metric["server"])).toContain("weather");
  });
});
