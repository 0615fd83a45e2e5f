import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { startExampleServer, startNode, type RunningProcess } from "@mcp-gateway/example-kit";
import {
  extProcTimeoutMs,
  renderDirectRoute,
  renderExtProc,
  renderHttpRoute,
  type RoutedServer,
  type RouteSettings,
} from "@mcp-gateway/controller";
import { DEMO_KEYS } from "@mcp-gateway/local-stack";
import { pollUntil } from "../support/bounded-wait";
import { envoyBinary } from "../support/envoy-binary";
import {
  envoyGatewayBinary,
  envoyGatewayInstalled,
  startEnvoyGateway,
  type EnvoyGatewayProcess,
} from "../support/envoy-gateway";
import { freePort } from "../support/redis-server";
import { connectClient, rawPost, resultJson, serverInfo, type ConnectedClient } from "../e2e/mcp-client";
import { metricValue } from "../e2e/gateway-stack";

jest.setTimeout(180_000);

// The real Envoy Gateway (standalone mode: resources from files, Envoy run as a host process) fed what the controller
// renders (the HTTPRoutes and the EnvoyExtensionPolicy), in front of a real `mcp-gateway envoy` (router + broker) and
// the example servers, each Service of the rendered objects standing for a host process (see asBackends).
const NS = "mcp";
const ready = envoyGatewayInstalled();
if (!ready) {
  console.warn(
    `Envoy Gateway tests skipped: ${envoyGatewayBinary()} is missing (npm run envoy-gateway:install builds it; ` +
      ".ci/run always does)",
  );
}
const describeWithEnvoyGateway = ready ? describe : describe.skip;

const OPS_KEY_HASH = "sha256:22dedd2850a084af16578781f9d8b1a2d4a165901c693c927844de44a045e36f";

/** The part of a rendered HTTPRoute rule the test reads: its header match. */
type RenderedRule = { matches?: { headers?: { value: string }[] }[] };

/** The Backend standing for a Service on loopback (see {@link asBackends}). */
const backend = (name: string, port: number): object => ({
  apiVersion: "gateway.envoyproxy.io/v1alpha1",
  kind: "Backend",
  metadata: { name, namespace: NS },
  spec: { endpoints: [{ ip: { address: "127.0.0.1", port } }] },
});

/**
 * A rendered object with every Service backendRef (`{ name, port }`) pointed at the Envoy Gateway Backend of that name
 * instead: standalone Envoy Gateway stores no Services (its file provider drops them, so a Service backendRef is "not
 * found"), and a Backend with a static endpoint is its way to a host process. Nothing else of the object changes.
 */
function asBackends(object: Record<string, unknown>): object {
  return JSON.parse(JSON.stringify(object), (key: string, value: unknown) =>
    key === "backendRefs" && Array.isArray(value)
      ? value.map((ref: Record<string, unknown>) => ({ group: "gateway.envoyproxy.io", kind: "Backend", ...ref }))
      : value,
  ) as object;
}

/** GatewayClass, its EnvoyProxy (host provider on the pinned Envoy, Service routing) and the Gateway on `port`. */
function gatewayObjects(port: number): object[] {
  return [
    {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "GatewayClass",
      metadata: { name: "eg" },
      spec: {
        controllerName: "gateway.envoyproxy.io/gatewayclass-controller",
        parametersRef: { group: "gateway.envoyproxy.io", kind: "EnvoyProxy", name: "host", namespace: NS },
      },
    },
    {
      apiVersion: "gateway.envoyproxy.io/v1alpha1",
      kind: "EnvoyProxy",
      metadata: { name: "host", namespace: NS },
      spec: {
        provider: { type: "Host", host: { envoyVersion: envoyBinary().version } },
      },
    },
    {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "Gateway",
      metadata: { name: "eg", namespace: NS },
      spec: { gatewayClassName: "eg", listeners: [{ name: "http", protocol: "HTTP", port }] },
    },
  ];
}

describeWithEnvoyGateway("the controller's routes under the real Envoy Gateway (standalone, host Envoy)", () => {
  const started: { stop(): Promise<void> }[] = [];
  let gateway: RunningProcess;
  let eg: EnvoyGatewayProcess;
  let dir: string;
  let url: string;
  let metricsUrl: string;
  let client: ConnectedClient;
  /** Each upstream's port and the index of its rule in the rendered HTTPRoute. */
  const upstreams = { weather: { port: 0, rule: -1 }, notes: { port: 0, rule: -1 } };

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
    const yaml = [
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
    await writeFile(configPath, yaml);
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
      messageTimeoutMs: extProcTimeoutMs(parse(yaml) as Record<string, unknown>),
    };
    const servers: RoutedServer[] = [
      { name: "weather", service: "weather", port: weather.port, path: "/mcp" },
      { name: "notes", service: "notes", port: notes.port, path: "/mcp" },
    ];
    const route = renderHttpRoute(settings, servers) as { spec: { rules: RenderedRule[] } };
    for (const name of ["weather", "notes"] as const) {
      const rule = route.spec.rules.findIndex((r) => r.matches?.[0]?.headers?.[0]?.value === name);
      upstreams[name] = { port: name === "weather" ? weather.port : notes.port, rule };
    }
    eg = await startEnvoyGateway({
      adminPort: ports.admin,
      resources: [
        ...gatewayObjects(ports.envoy),
        backend("weather", weather.port),
        backend("notes", notes.port),
        backend("mcp-gateway-broker", ports.broker),
        backend("mcp-gateway-router", ports.router),
        asBackends(route),
        asBackends(renderDirectRoute(settings)),
        asBackends(renderExtProc(settings, [settings.name]) ?? {}),
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

  it("accepts every rendered object: both HTTPRoutes resolved, the EnvoyExtensionPolicy accepted", () => {
    const statuses = eg.statuses();
    const conditions = (key: string, path: "parents" | "ancestors") => {
      const status = statuses.get(key) as Record<string, { conditions: { type: string; status: string }[] }[]>;
      return (status?.[path] ?? []).flatMap((p) => p.conditions.map((c) => `${c.type}=${c.status}`));
    };
    for (const route of ["mcp-gateway", "mcp-gateway-direct"]) {
      expect(conditions(`HTTPRoute ${NS}/${route}`, "parents")).toEqual(["Accepted=True", "ResolvedRefs=True"]);
    }
    expect(conditions(`EnvoyExtensionPolicy ${NS}/mcp-gateway`, "ancestors")).toEqual(["Accepted=True"]);
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
    // Envoy itself sent each call to its upstream, on that server's rule of the rendered HTTPRoute. Envoy flushes its
    // access log every 10 s (its default), hence the long wait.
    const routed = (port: number) => eg.accessLog().filter((line) => line.upstream_host === `127.0.0.1:${port}`);
    expect(await pollUntil(() => routed(upstreams.notes.port).length >= 1, 30_000, 250)).toBe(true);
    const via = (server: { rule: number }) =>
      expect.objectContaining({
        response_code: 200,
        response_code_details: "via_upstream",
        route_name: expect.stringMatching(new RegExp(`^httproute/${NS}/mcp-gateway/rule/${server.rule}/`)),
      });
    expect(routed(upstreams.weather.port)).toEqual([via(upstreams.weather), via(upstreams.weather)]);
    expect(routed(upstreams.notes.port)).toEqual([via(upstreams.notes)]);
    const metrics = await (await fetch(metricsUrl)).text();
    for (const server of ["weather", "notes"]) {
      expect(metricValue(metrics, "mcp_router_sessions_healed_total", { server })).toBe(0);
      expect(metricValue(metrics, "mcp_router_backend_sessions_total", { server, outcome: "created" })).toBe(1);
    }
  });

  it("refuses a request without a key: the router's 401 as ext_proc, before any upstream", async () => {
    const started = Date.now();
    const ping = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" });
    const reply = await rawPost(url, ping);
    expect(reply.status).toBe(401);
    expect(reply.headers.get("www-authenticate")).toMatch(/^Bearer\b/);
    // The readiness probe's keyless POST was refused too: only a line from this request counts.
    const refused = () =>
      eg
        .accessLog()
        .find((line) => line.response_code === 401 && Date.parse(String(line.start_time)) >= started - 1000);
    expect(await pollUntil(() => refused() !== undefined, 30_000, 250)).toBe(true);
    expect(refused()).toMatchObject({
      upstream_host: null,
      route_name: expect.stringMatching(/^httproute\/mcp\/mcp-gateway\//),
    });
  });
});
