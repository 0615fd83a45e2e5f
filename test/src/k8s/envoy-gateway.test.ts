import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { startExampleServer, startNode, type RunningProcess } from "@mcp-gateway/example-kit";
import { extProcTimeoutMs, type RoutedServer, type RouteSettings } from "@mcp-gateway/controller";
import { DEMO_KEYS } from "@mcp-gateway/local-stack";
import { pollUntil } from "../support/bounded-wait";
import {
  envoyGatewayBinary,
  envoyGatewayInstalled,
  startEnvoyGateway,
  type EnvoyGatewayProcess,
} from "../support/envoy-gateway";
import { freePort } from "../support/redis-server";
import { connectClient, rawPost, resultJson, serverInfo, type ConnectedClient } from "../e2e/mcp-client";
import { metricValue } from "../e2e/gateway-stack";
import {
  backend,
  extProcOf,
  gatewayObjects,
  NS,
  renderedFilter,
  renderRoutes,
  type ConfigDump,
} from "./envoy-gateway-fixtures";

jest.setTimeout(180_000);

// The real Envoy Gateway (standalone mode: resources from files, Envoy run as a host process) fed what the controller
// renders (the HTTPRoutes and the EnvoyExtensionPolicy), in front of a real `mcp-gateway envoy` (router + broker) and
// the example servers, each Service of the rendered objects standing for a host process (see asBackends).
const ready = envoyGatewayInstalled();
if (!ready) {
  console.warn(
    `Envoy Gateway tests skipped: ${envoyGatewayBinary()} is missing (npm run envoy-gateway:install builds it; ` +
      ".ci/run always does)",
  );
}
const describeWithEnvoyGateway = ready ? describe : describe.skip;

const OPS_KEY_HASH = "sha256:22dedd2850a084af16578781f9d8b1a2d4a165901c693c927844de44a045e36f";

describeWithEnvoyGateway("the controller's routes under the real Envoy Gateway (standalone, host Envoy)", () => {
  const started: { stop(): Promise<void> }[] = [];
  let gateway: RunningProcess;
  let eg: EnvoyGatewayProcess;
  let dir: string;
  let url: string;
  let metricsUrl: string;
  let client: ConnectedClient;
  let gatewayYaml: string;
  /** Each upstream's port and its rule in the rendered HTTPRoutes. */
  const upstreams = {
    weather: { port: 0, rule: { route: "", index: -1 } },
    notes: { port: 0, rule: { route: "", index: -1 } },
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "mcp-eg-"));
    const weather = await startExampleServer("weather");
    started.push(weather);
    const notes = await startExampleServer("notes");
    started.push(notes);
    const ports = {
      router: await freePort(),
      broker: await freePort(),
      metrics: await freePort(),
      envoy: await freePort(),
      admin: await freePort(),
    };
    gatewayYaml = [
      "version: 1",
      "auth: { apiKeys: { header: authorization } }",
      `consumers: [{ name: ops, keyHash: "${OPS_KEY_HASH}", policy: operator }]`,
      'policies: { operator: { tools: ["*"], prompts: ["*"], resources: ["*"] } }',
      "servers:",
      `  - { name: weather, url: "${weather.url}" }`,
      `  - { name: notes, url: "${notes.url}" }`,
      'sessions: { secret: "envoy-gateway-test-secret-0123456789abcdef", backendInitTimeout: 3s }',
      `router: { listen: "127.0.0.1:${ports.router}", metricsListen: "127.0.0.1:${ports.metrics}" }`,
      `broker: { listen: "127.0.0.1:${ports.broker}" }`,
      "",
    ].join("\n");
    const configPath = join(dir, "gateway.yaml");
    await writeFile(configPath, gatewayYaml);
    gateway = startNode("cli/dist/main.js", ["envoy", "--config", configPath, "--log-level", "warn"]);
    started.push(gateway);
    // One process (router and broker): the broker's /metrics has the routing metrics too.
    metricsUrl = `http://127.0.0.1:${ports.broker}/metrics`;

    const settings: RouteSettings = {
      namespace: NS,
      name: "mcp-gateway",
      gateway: { name: "eg", namespace: NS },
      broker: { service: "mcp-gateway-broker", port: ports.broker },
      router: { service: "mcp-gateway-router", port: ports.router },
      extProc: "envoy-gateway",
      messageTimeoutMs: extProcTimeoutMs(parse(gatewayYaml) as Record<string, unknown>),
    };
    const real: RoutedServer[] = [
      { name: "weather", service: "weather", port: weather.port, path: "/mcp" },
      { name: "notes", service: "notes", port: notes.port, path: "/mcp" },
    ];
    const rendered = renderRoutes(settings, real);
    for (const name of ["weather", "notes"] as const) {
      upstreams[name] = { port: name === "weather" ? weather.port : notes.port, rule: rendered.ruleOf(name) };
    }
    eg = await startEnvoyGateway({
      adminPort: ports.admin,
      resources: [
        ...gatewayObjects(ports.envoy),
        backend("weather", weather.port),
        backend("notes", notes.port),
        backend("mcp-gateway-broker", ports.broker),
        backend("mcp-gateway-router", ports.router),
        // Never reached (the gateway config has no filler servers): port 9 is the discard service.
        backend("filler", 9),
        ...rendered.objects,
      ],
    });
    started.push(eg);
    url = `http://127.0.0.1:${ports.envoy}/mcp`;
    // Envoy Gateway launches Envoy, then serves it the listener over xDS: wait for the listener to answer.
    const up = await pollUntil(
      async () => (await fetch(url, { method: "POST", body: "{}" }).catch(() => undefined)) !== undefined,
      60_000,
      250,
    );
    if (!up) throw new Error(`Envoy Gateway's Envoy never listened on ${url}:\n${eg.output()}`);
    client = await connectClient(url, "envoy-gateway-e2e", { authorization: `Bearer ${DEMO_KEYS.ops}` }).catch(
      (error: unknown) => {
        const logs = `Envoy Gateway:\n${eg.output().slice(-6000)}\ngateway:\n${gateway.output().slice(-2000)}`;
        throw new Error(`initialize through Envoy Gateway's Envoy failed: ${String(error)}\n${logs}`);
      },
    );
  });

  afterAll(async () => {
    await client?.close();
    for (const process of started.reverse()) await process.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("accepts every rendered object: the HTTPRoutes resolved, the EnvoyExtensionPolicy accepted", () => {
    const statuses = eg.statuses();
    const conditions = (key: string, path: "parents" | "ancestors") => {
      const status = statuses.get(key) as Record<string, { conditions: { type: string; status: string }[] }[]>;
      return (status?.[path] ?? []).flatMap((p) => p.conditions.map((c) => `${c.type}=${c.status}`));
    };
    for (const route of ["mcp-gateway", "mcp-gateway-2", "mcp-gateway-direct"]) {
      expect(conditions(`HTTPRoute ${NS}/${route}`, "parents")).toEqual(["Accepted=True", "ResolvedRefs=True"]);
    }
    expect(conditions(`EnvoyExtensionPolicy ${NS}/mcp-gateway`, "ancestors")).toEqual(["Accepted=True"]);
  });

  it("gives Envoy render-envoy's ext_proc filter (but mutation_rules), on every shard's routes, not the direct ones", async () => {
    const dump = (await (await fetch(`${await eg.envoyAdminUrl()}/config_dump`)).json()) as ConfigDump;
    const { filter, perRoute } = extProcOf(dump);
    const { grpc_service: _, ...translated } = filter.typed_config;
    const { grpc_service: __, mutation_rules: mutationRules, ...rendered } = renderedFilter(gatewayYaml);
    // Envoy Gateway's policy has no field for mutation_rules, so its Envoy has Envoy's defaults (the router's
    // x-destination-mcp and session headers pass them: the calls above are routed).
    expect(mutationRules).toEqual({ allow_all_routing: true });
    // The dump leaves out proto3 defaults: failure_mode_allow false, a body mode of NONE.
    const processing = { response_body_mode: "NONE", ...(translated.processing_mode as object) };
    expect({ failure_mode_allow: false, ...translated, processing_mode: processing }).toEqual(rendered);
    expect(filter.disabled).toBe(true); // on only where the policy enables it per route
    const shardOf = (name: string) => /^httproute\/mcp\/([\w-]+)\/rule\//.exec(name)?.[1];
    expect(new Set([...perRoute.keys()].map(shardOf))).toEqual(
      new Set(["mcp-gateway", "mcp-gateway-2", "mcp-gateway-direct"]),
    );
    for (const [name, enabled] of perRoute)
      expect([name, enabled]).toEqual([name, shardOf(name) !== "mcp-gateway-direct"]);
  });

  it("initializes and lists every server's tools through Envoy Gateway's Envoy", async () => {
    const tools = (await client.client.listTools()).tools.map((t) => t.name);
    expect(tools).toEqual(expect.arrayContaining(["weather_get_forecast", "notes_server_info", "weather_server_info"]));
  });

  it("routes each call by the router's x-destination-mcp to the right upstream, via Envoy, never healed", async () => {
    const forecast = resultJson(
      await client.client.callTool({ name: "weather_get_forecast", arguments: { city: "Oslo" } }),
    );
    expect(forecast).toMatchObject({ city: "Oslo" });
    expect((await serverInfo(client.client, "weather_server_info")).server).toBe("weather");
    expect((await serverInfo(client.client, "notes_server_info")).server).toBe("notes");
    // The layout under test: notes beside the broker rule, weather in the second shard.
    expect([upstreams.notes.rule.route, upstreams.weather.rule.route]).toEqual(["mcp-gateway", "mcp-gateway-2"]);
    // Envoy itself sent each call to its upstream, on that server's rule of the rendered HTTPRoute. Envoy flushes its
    // access log every 10 s (its default), hence the long wait.
    const routed = (port: number) => eg.accessLog().filter((line) => line.upstream_host === `127.0.0.1:${port}`);
    expect(await pollUntil(() => routed(upstreams.notes.port).length >= 1, 30_000, 250)).toBe(true);
    const via = (server: { rule: { route: string; index: number } }) =>
      expect.objectContaining({
        response_code: 200,
        response_code_details: "via_upstream",
        route_name: expect.stringMatching(
          new RegExp(`^httproute/${NS}/${server.rule.route}/rule/${server.rule.index}/`),
        ),
      });
    expect(routed(upstreams.weather.port)).toEqual([via(upstreams.weather), via(upstreams.weather)]);
    expect(routed(upstreams.notes.port)).toEqual([via(upstreams.notes)]);
    const metrics = await (await fetch(metricsUrl)).text();
    for (const server of ["weather", "notes"]) {
      expect(metricValue(metrics, "mcp_router_sessions_healed_total", { server })).toBe(0);
      expect(metricValue(metrics, "mcp_router_backend_sessions_total", { server, outcome: "created" })).toBe(1);
    }
  });

  it("refuses a request without a key (the router's 401 as ext_proc), also one naming a server of any shard", async () => {
    const started = Date.now();
    const call = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "get_forecast" } });
    // A client's own x-destination-mcp selects a server's rule from the start: the policy must cover every shard's
    // route, or such a request would pass no ext_proc and reach the upstream unauthenticated.
    const spoofed: Record<string, string>[] = [
      {},
      { "x-destination-mcp": "notes" },
      { "x-destination-mcp": "weather" },
    ];
    for (const headers of spoofed) {
      const reply = await rawPost(url, call, headers);
      expect(reply.status).toBe(401);
      expect(reply.headers.get("www-authenticate")).toMatch(/^Bearer\b/);
    }
    // The readiness probe's keyless POST was refused too: only lines of these requests count.
    const since = () => eg.accessLog().filter((line) => Date.parse(String(line.start_time)) >= started - 1000);
    expect(await pollUntil(() => since().length >= 3, 30_000, 250)).toBe(true);
    // Envoy Gateway names a route `httproute/<namespace>/<name>/rule/<index>/match/<index>/<hostname>`.
    const route = (rule: { route: string; index: number }) =>
      `httproute/${NS}/${rule.route}/rule/${rule.index}/match/0/*`;
    const broker = { route: "mcp-gateway", index: 15 }; // the first shard's last rule, after its 15 servers
    const seen = since().map(
      (line) => `${String(line.response_code)} ${String(line.upstream_host)} ${String(line.route_name)}`,
    );
    const expected = [broker, upstreams.notes.rule, upstreams.weather.rule].map((rule) => `401 null ${route(rule)}`);
    expect(seen.sort()).toEqual(expected.sort());
  });
});
