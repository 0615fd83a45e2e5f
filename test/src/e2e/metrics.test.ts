import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseConfig, silentLogger } from "@mcp-gateway/core";
import { startGatewayProcess, type GatewayProcess, type Roles } from "@mcp-gateway/cli";
import { REPO_ROOT } from "@mcp-gateway/example-kit";
import { startServer, type RunningServer } from "@mcp-gateway/example-weather";
import { startRedisServer, type RedisServer } from "../support/redis-server";
import { pollUntil } from "../support/bounded-wait";

/** A gateway process started in-process for `roles`, with the /metrics URL it serves. */
interface Running {
  process: GatewayProcess;
  metricsUrl: string;
  base?: string;
}

const MODES: Record<string, Roles> = {
  standalone: { router: false, broker: true, standalone: true },
  "envoy (router and broker in one process)": { router: true, broker: true },
  "router alone": { router: true, broker: false },
  "broker alone": { router: false, broker: true },
};

let weather: RunningServer;
let redis: RedisServer;
beforeAll(async () => {
  [weather, redis] = await Promise.all([startServer({ port: 0 }), startRedisServer()]);
});
afterAll(async () => {
  await Promise.all([weather?.close(), redis?.stop()]);
});

function yaml(servers: string, store: string, extra = ""): string {
  return `version: 1
auth: none
servers:
${servers}
sessions: { secret: "metrics-test-secret-0123456789abcdef", store: "${store}" }
health: { interval: 200ms, maxBackoff: 500ms, timeout: 1s }
router: { listen: "127.0.0.1:0", metricsListen: "127.0.0.1:0" }
broker: { listen: "127.0.0.1:0" }
standalone: { listen: "127.0.0.1:0" }
${extra}`;
}

/** Starts a gateway process; the metrics URL is read from the ready lines it announces. */
async function start(roles: Roles, config: string): Promise<Running> {
  const lines: string[] = [];
  const split = roles.router !== roles.broker && roles.standalone !== true;
  const process = await startGatewayProcess({
    config: parseConfig(split ? config.replace('store: "memory"', `store: "${redis.url}"`) : config, {}),
    env: {},
    roles,
    logger: silentLogger,
    announce: (line) => lines.push(line),
  });
  const routerMetrics = lines.map((l) => /router metrics on (\S+)/.exec(l)?.[1]).find((u) => u !== undefined);
  const base = process.brokerPort === undefined ? undefined : `http://127.0.0.1:${process.brokerPort}`;
  const metricsUrl = routerMetrics ?? `${base}/metrics`;
  return { process, metricsUrl, ...(base ? { base } : {}) };
}

async function scrape(url: string): Promise<string> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return response.text();
}

/** The metric family names a scrape exposes (`# TYPE` lines), Node process metrics apart. */
function families(text: string): { own: string[]; process: string[] } {
  const names = [...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1] as string);
  const isProcess = (name: string): boolean => /^mcp_(broker|router)_(process|nodejs)_/.test(name);
  return { own: names.filter((n) => !isProcess(n)).sort(), process: names.filter(isProcess) };
}

/** Sums the samples of `name` whose labels include every given label. */
function sample(text: string, name: string, labels: Record<string, string>): number {
  let total = 0;
  for (const line of text.split("\n")) {
    const match = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const has = Object.entries(labels).every(([k, v]) => (match[2] ?? "").includes(`${k}="${v}"`));
    if (has) total += Number(match[3]);
  }
  return total;
}

async function post(base: string, body: object, session?: string): Promise<Response> {
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

async function initialize(base: string): Promise<string> {
  const params = {
    protocolVersion: "2025-06-18",
    capabilities: {},
    clientInfo: { name: "metrics-test", version: "1" },
  };
  const reply = await post(base, { jsonrpc: "2.0", id: 1, method: "initialize", params });
  const session = reply.headers.get("mcp-session-id");
  await reply.text();
  if (session === null) throw new Error(`initialize failed: HTTP ${reply.status}`);
  return session;
}

async function waitReady(base: string): Promise<void> {
  const ready = await pollUntil(async () => (await fetch(`${base}/readyz`)).status === 200, 10_000);
  if (!ready) throw new Error("upstreams not ready within 10 s");
}

describe("metrics", () => {
  it.each(Object.entries(MODES))("%s exports Node process metrics once", async (_mode, roles) => {
    const running = await start(roles, yaml(`  - { name: weather, url: "${weather.url}" }`, "memory"));
    try {
      const { process } = families(await scrape(running.metricsUrl));
      expect(process).toContain(
        roles.broker ? "mcp_broker_process_cpu_user_seconds_total" : "mcp_router_process_cpu_user_seconds_total",
      );
      expect(process.filter((n) => n.endsWith("_process_cpu_user_seconds_total"))).toHaveLength(1);
    } finally {
      await running.process.close();
    }
  });

  it.each(Object.entries(MODES))(
    "%s exports exactly the metrics docs/observability.md lists for it",
    async (mode, roles) => {
      const running = await start(roles, yaml(`  - { name: weather, url: "${weather.url}" }`, "memory"));
      try {
        const { own } = families(await scrape(running.metricsUrl));
        expect(own).toEqual(await documentedMetrics(mode));
      } finally {
        await running.process.close();
      }
    },
  );

  it("counts a standalone call to an unreachable upstream (502) under that server as upstream_error", async () => {
    const doomed = await startServer({ port: 0 });
    const running = await start(
      MODES["standalone"] as Roles,
      yaml(`  - { name: doomed, url: "${doomed.url}" }`, "memory"),
    );
    const base = running.base as string;
    try {
      await waitReady(base);
      // Closed after discovery: its tools stay routable by their last listing, and its port now refuses connections.
      await doomed.close();
      const session = await initialize(base);
      const call = {
        jsonrpc: "2.0",
        id: 2,
        method: "tools/call",
        params: { name: "doomed_server_info", arguments: {} },
      };
      const reply = await post(base, call, session);
      await reply.text();
      expect(reply.status).toBe(502);
      const text = await scrape(running.metricsUrl);
      expect(sample(text, "mcp_gateway_forwarded_total", { server: "doomed", outcome: "upstream_error" })).toBe(1);
      expect(sample(text, "mcp_gateway_forwarded_total", { server: "none" })).toBe(0);
      const latency = { server: "doomed", method: "tools/call", outcome: "upstream_error" };
      expect(sample(text, "mcp_gateway_request_duration_seconds_count", latency)).toBe(1);
    } finally {
      await running.process.close();
    }
  });

  it("counts only exposed tools in /status toolCount and mcp_broker_upstream_tools", async () => {
    const servers = `  - { name: weather, url: "${weather.url}", tools: { exclude: ["get_alerts"] } }`;
    const running = await start(MODES["standalone"] as Roles, yaml(servers, "memory"));
    const base = running.base as string;
    try {
      await waitReady(base);
      const session = await initialize(base);
      const list = await post(base, { jsonrpc: "2.0", id: 2, method: "tools/list" }, session);
      const exposed = ((await list.json()) as { result: { tools: { name: string }[] } }).result.tools;
      expect(exposed.map((t) => t.name)).toContain("weather_get_forecast");
      expect(exposed.map((t) => t.name)).not.toContain("weather_get_alerts");
      const status = (await (await fetch(`${base}/status`)).json()) as { upstreams: { toolCount: number }[] };
      expect(status.upstreams[0]?.toolCount).toBe(exposed.length);
      const text = await scrape(running.metricsUrl);
      expect(sample(text, "mcp_broker_upstream_tools", { server: "weather" })).toBe(exposed.length);
    } finally {
      await running.process.close();
    }
  });

  it("labels latency by tool only when switched on, and caps the distinct tool names", async () => {
    const extra = "metrics: { toolLabel: true, toolLabelLimit: 1 }\n";
    const running = await start(
      MODES["standalone"] as Roles,
      yaml(`  - { name: weather, url: "${weather.url}" }`, "memory", extra),
    );
    const base = running.base as string;
    try {
      await waitReady(base);
      const session = await initialize(base);
      for (const [id, name] of [
        [2, "weather_server_info"],
        [3, "weather_get_alerts"],
        [4, "weather_server_info"],
      ] as const) {
        const args = name === "weather_get_alerts" ? { region: "Alps" } : {};
        await (
          await post(base, { jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args } }, session)
        ).text();
      }
      const text = await scrape(running.metricsUrl);
      const count = "mcp_gateway_request_duration_seconds_count";
      expect(sample(text, count, { method: "tools/call", tool: "weather_server_info" })).toBe(2);
      expect(sample(text, count, { method: "tools/call", tool: "other" })).toBe(1);
      // An unknown method is "other", never the client's string.
      await (await post(base, { jsonrpc: "2.0", id: 5, method: "x/made-up" }, session)).text();
      expect(await scrape(running.metricsUrl)).not.toContain("x/made-up");
    } finally {
      await running.process.close();
    }
  });
});

/** The metric names docs/observability.md's table gives for `mode` (a ✓ in that mode's column). */
async function documentedMetrics(mode: string): Promise<string[]> {
  const doc = await readFile(join(REPO_ROOT, "docs", "observability.md"), "utf8");
  const column = { standalone: 2, "envoy (router and broker in one process)": 3, "router alone": 4, "broker alone": 5 }[
    mode
  ] as number;
  const names: string[] = [];
  for (const line of doc.split("\n")) {
    const cells = line.split("|").map((cell) => cell.trim());
    const name = /^`(mcp_\w+)`/.exec(cells[1] ?? "")?.[1];
    if (name !== undefined && cells[column] === "✓") names.push(name);
  }
  return names.sort();
}
