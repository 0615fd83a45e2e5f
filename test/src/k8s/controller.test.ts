import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseConfig } from "@mcp-gateway/core";
import { DEFAULT_RENDER_OPTIONS, renderEnvoyConfig } from "@mcp-gateway/router";
import { startExampleServer, startNode, type RunningProcess } from "@mcp-gateway/example-kit";
import { installCrds, k8sTools, startTestCluster, type TestCluster } from "../support/k8s-cluster";
import { freePort } from "../support/redis-server";
import { startEnvoy, type EnvoyProcess } from "../support/envoy-process";
import { connectClient } from "../e2e/mcp-client";
import {
  condition,
  externalService,
  grantController,
  mcpServer,
  NS,
  prefix,
  readRenderedConfig,
  until,
  type Obj,
  type RouteObj,
} from "./controller-fixtures";

// Starting etcd and kube-apiserver on a loaded 2-core machine takes tens of seconds.
jest.setTimeout(240_000);

const REPO = resolve(__dirname, "..", "..", "..");
const API = `/apis/mcp.gateway.example/v1alpha1/namespaces/${NS}/mcpservers`;
const SECRET_PATH = `/api/v1/namespaces/${NS}/secrets/mcp-gateway-config`;
type Example = Awaited<ReturnType<typeof startExampleServer>>;

let cluster: TestCluster;
let dir: string;
let weather: Example;
let notes: Example;
let gatewayPort: number;
const controllers: RunningProcess[] = [];

async function startController(identity: string): Promise<RunningProcess> {
  const controller = startNode("cli/dist/main.js", [
    "controller",
    ...["--kubeconfig", cluster.controllerKubeconfig, "--namespace", NS, "--identity", identity],
    ...["--base-config", join(dir, "base.yaml"), "--status-url", `http://127.0.0.1:${gatewayPort}/status`],
    ...["--gateway", "infra/mcp-gw", "--ext-proc", "envoy-gateway", "--lease-duration", "3s", "--resync", "1s"],
    ...["--health-listen", "127.0.0.1:0"],
  ]);
  controllers.push(controller);
  await controller.waitFor(/mcp-gateway controller: namespace/, 30_000);
  return controller;
}

async function create(path: string, body: object): Promise<void> {
  const { status, body: answer } = await cluster.api("POST", path, body);
  if (status !== 201) throw new Error(`POST ${path}: ${status} ${JSON.stringify(answer)}`);
}

const renderedConfig = () => readRenderedConfig(cluster, SECRET_PATH);

const getObj = async (path: string): Promise<Obj & { code: number }> => {
  const { status, body } = await cluster.api<Obj>("GET", path);
  return { ...body, code: status };
};
beforeAll(async () => {
  k8sTools(); // fails (never skips) naming `npm run k8s:install` when the binaries are missing
  dir = await mkdtemp(join(tmpdir(), "k8s-controller-"));
  [cluster, weather, notes] = await Promise.all([
    startTestCluster(),
    startExampleServer("weather"),
    startExampleServer("notes"),
  ]);
  await installCrds(cluster, readFileSync(join(REPO, "deploy", "crds", "mcpservers.mcp.gateway.example.yaml"), "utf8"));
  const gatewayApi = join(k8sTools().gatewayApiCrds, "standard");
  for (const file of readdirSync(gatewayApi).filter((f) => f.endsWith(".yaml"))) {
    await installCrds(cluster, readFileSync(join(gatewayApi, file), "utf8"));
  }
  await installCrds(cluster, readFileSync(k8sTools().envoyGatewayCrds, "utf8"));
  await create("/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: NS } });
  await grantController(cluster);
  gatewayPort = await freePort();
  const [routerPort, metricsPort, brokerPort] = [await freePort(), await freePort(), await freePort()];
  const base = [
    "version: 1",
    "auth: none",
    'sessions: { secret: "k8s-test-session-secret-0123456789abcdef" }',
    "health: { interval: 300ms, maxBackoff: 1s, timeout: 2s }",
    `standalone: { listen: "127.0.0.1:${gatewayPort}" }`,
    `router: { listen: "127.0.0.1:${routerPort}", metricsListen: "127.0.0.1:${metricsPort}" }`,
    `broker: { listen: "127.0.0.1:${brokerPort}" }`,
    "",
  ].join("\n");
  await writeFile(join(dir, "base.yaml"), base);
  await startController("controller-a");
  await startController("controller-b");
});

afterAll(async () => {
  await envoy?.stop();
  for (const process of controllers) await process.stop();
  await gateway?.stop();
  await Promise.all([weather?.stop(), notes?.stop()]);
  await cluster?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

let gateway: RunningProcess | undefined;
let envoy: EnvoyProcess | undefined;

/** The tool names a fresh MCP client lists through the gateway. */
async function listTools(url = `http://127.0.0.1:${gatewayPort}/mcp`): Promise<string[]> {
  const connected = await connectClient(url);
  try {
    return (await connected.client.listTools()).tools.map((t) => t.name);
  } finally {
    await connected.close();
  }
}

/** What the kubelet does with the mounted Secret: the file the gateway watches gets the Secret's new content. */
async function syncGatewayConfig(): Promise<void> {
  const { body } = await cluster.api<{ data: Record<string, string> }>("GET", SECRET_PATH);
  await writeFile(join(dir, "gateway.yaml"), Buffer.from(body.data["config.yaml"] ?? "", "base64"));
}

describe("the discovery controller against a real kube-apiserver", () => {
  it("refuses an invalid MCPServer at the API server (CRD validation)", async () => {
    const both = mcpServer("both", { target: { service: { name: "a", port: 80 }, httpRoute: { name: "r" } } });
    expect((await cluster.api("POST", API, both)).status).toBe(422);
    const badName = mcpServer("Upper.Case", { target: { service: { name: "a", port: 80 } } });
    expect((await cluster.api("POST", API, badName)).status).toBe(422);
    const badTimeout = mcpServer("t", { target: { service: { name: "a", port: 80 } }, timeout: "soon" });
    expect((await cluster.api("POST", API, badTimeout)).status).toBe(422);
  });

  it("puts a Service-targeted MCPServer into the config Secret and the HTTPRoute, with its finalizer", async () => {
    await create(`/api/v1/namespaces/${NS}/services`, externalService("weather", weather.port));
    await create(
      API,
      mcpServer("weather", { target: { service: { name: "weather", port: weather.port } }, timeout: "20s" }),
    );
    const config = await until(
      "weather in the config",
      renderedConfig,
      (c) => c?.servers.some((s) => s.name === "weather") ?? false,
    );
    expect(config?.servers).toEqual([
      expect.objectContaining({ name: "weather", url: `http://127.0.0.1:${weather.port}/mcp`, timeout: "20s" }),
    ]);
    const server = await until(
      "the finalizer and the Accepted condition (the same pass writes both, one after the other)",
      () => getObj(`${API}/weather`),
      (o) => (o.metadata.finalizers ?? []).length > 0 && condition(o, "Accepted") !== undefined,
    );
    expect(server.metadata.finalizers).toEqual(["mcp.gateway.example/cleanup"]);
    expect(condition(server, "Accepted")?.status).toBe("True");
    const route = await getObj(`/apis/gateway.networking.k8s.io/v1/namespaces/${NS}/httproutes/mcp-gateway`);
    expect(route.spec?.rules?.map((r) => r.matches?.[0]?.headers?.[0]?.value)).toEqual(["weather", undefined]);
    const policy = await getObj(
      `/apis/gateway.envoyproxy.io/v1alpha1/namespaces/${NS}/envoyextensionpolicies/mcp-gateway`,
    );
    expect(policy.code).toBe(200);
  });

  it("writes a second HTTPRoute without ext_proc for /ui and /v1, both routes valid under the real CRD schemas", async () => {
    const routes = `/apis/gateway.networking.k8s.io/v1/namespaces/${NS}/httproutes`;
    const direct = await until(
      "the direct HTTPRoute",
      () => cluster.api<RouteObj>("GET", `${routes}/mcp-gateway-direct`),
      (r) => r.status === 200,
    );
    const broker = [expect.objectContaining({ name: "mcp-gateway-broker", port: 8081 })];
    expect(direct.body.spec.rules).toEqual([
      expect.objectContaining({ matches: [prefix("/ui")], backendRefs: broker, timeouts: { request: "15s" } }),
      expect.objectContaining({ matches: [prefix("/v1")], backendRefs: broker, timeouts: { request: "0s" } }),
    ]);
    const main = await cluster.api<RouteObj>("GET", `${routes}/mcp-gateway`);
    expect(main.body.spec.rules.at(-1)).toEqual(
      expect.objectContaining({
        matches: [prefix("/mcp"), prefix("/.well-known/oauth-protected-resource")],
        timeouts: { request: "0s" },
      }),
    );
    // The ext_proc policy targets the /mcp route only.
    const policy = await getObj(
      `/apis/gateway.envoyproxy.io/v1alpha1/namespaces/${NS}/envoyextensionpolicies/mcp-gateway`,
    );
    expect((policy.spec as { targetRefs?: { name: string }[] }).targetRefs).toEqual([
      expect.objectContaining({ name: "mcp-gateway" }),
    ]);
    // Both pass the CRD's strict schema and CEL rules as written (a server-side dry run with unknown fields refused)…
    for (const route of [direct.body, main.body]) {
      const { metadata, spec } = route as unknown as { metadata: { name: string }; spec: object };
      const copy = { apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", spec };
      const body = { ...copy, metadata: { name: `${metadata.name}-check`, namespace: NS } };
      const dry = await cluster.api("POST", `${routes}?dryRun=All&fieldValidation=Strict`, body);
      expect([metadata.name, dry.status]).toEqual([metadata.name, 201]);
    }
    // …and a changed direct route is put back by the next pass (level-triggered, resync 1 s).
    const tampered = { spec: { rules: [{ matches: [prefix("/v1")], timeouts: { request: "5s" } }] } };
    const patched = await cluster.api(
      "PATCH",
      `${routes}/mcp-gateway-direct`,
      tampered,
      "application/merge-patch+json",
    );
    expect(patched.status).toBe(200);
    await until(
      "the direct HTTPRoute restored",
      () => cluster.api<RouteObj>("GET", `${routes}/mcp-gateway-direct`),
      (r) => r.body.spec.rules.length === 2 && r.body.spec.rules[1]?.timeouts?.request === "0s",
    );
  });

  it("a real gateway fed the rendered config serves the tools, and the status turns Ready with counts", async () => {
    await syncGatewayConfig();
    gateway = startNode("cli/dist/main.js", ["serve", "--config", join(dir, "gateway.yaml"), "--log-level", "warn"]);
    await gateway.waitFor(/listening on/, 30_000);
    // The gateway lists tools once its upstream connection is up (health checks every 300 ms).
    const names = await until("the weather tools through the gateway", listTools, (n) =>
      n.includes("weather_get_forecast"),
    );
    expect(names).toContain("weather_get_forecast");
    const ready = await until(
      "Ready=True",
      () => getObj(`${API}/weather`),
      (o) => condition(o, "Ready")?.status === "True",
    );
    expect(ready.status?.toolCount).toBeGreaterThan(0);
    expect(ready.status?.upstream).toBe(`http://127.0.0.1:${weather.port}/mcp`);
  });

  it("follows a changed MCPServer spec into the config, the gateway's tools and observedGeneration", async () => {
    const patch = { spec: { tools: { exclude: ["get_alerts"] }, timeout: "45s" } };
    const patched = await cluster.api("PATCH", `${API}/weather`, patch, "application/merge-patch+json");
    expect(patched.status).toBe(200);
    const config = await until("the changed entry", renderedConfig, (c) =>
      (c?.servers ?? []).some((s) => s.name === "weather" && (s as { timeout?: string }).timeout === "45s"),
    );
    expect(config?.servers[0]).toMatchObject({ tools: { exclude: ["get_alerts"] } });
    await syncGatewayConfig();
    const names = await until(
      "get_alerts hidden by the reloaded gateway",
      listTools,
      (n) => !n.includes("weather_get_alerts"),
    );
    expect(names).toContain("weather_get_forecast");
    const server = await until(
      "observedGeneration 2",
      () => getObj(`${API}/weather`),
      (o) => (o.status?.conditions ?? []).every((c) => (c as { observedGeneration?: number }).observedGeneration === 2),
    );
    expect(condition(server, "Accepted")?.status).toBe("True");
    // A changed Service: without the target port the server is refused, with it back accepted again.
    const service = `/api/v1/namespaces/${NS}/services/weather`;
    const ports = (port: number) => ({ spec: { ports: [{ name: "mcp", port }] } });
    await cluster.api("PATCH", service, ports(weather.port + 1), "application/merge-patch+json");
    const gone = await until(
      "TargetNotFound",
      () => getObj(`${API}/weather`),
      (o) => condition(o, "Accepted")?.reason === "TargetNotFound",
    );
    expect(condition(gone, "Accepted")?.message).toContain(`no port ${weather.port}`);
    await cluster.api("PATCH", service, ports(weather.port), "application/merge-patch+json");
    await until(
      "Accepted again",
      () => getObj(`${API}/weather`),
      (o) => condition(o, "Accepted")?.status === "True",
    );
  });

  it("resolves an HTTPRoute target and a credentialRef Secret, and refuses the server until the Secret exists", async () => {
    await create(`/api/v1/namespaces/${NS}/services`, externalService("notes", notes.port));
    await create(`/apis/gateway.networking.k8s.io/v1/namespaces/${NS}/httproutes`, {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "HTTPRoute",
      metadata: { name: "notes-route", namespace: NS },
      spec: { rules: [{ backendRefs: [{ name: "notes", port: notes.port }] }] },
    });
    await create(
      API,
      mcpServer("notes", { target: { httpRoute: { name: "notes-route" } }, credentialRef: { name: "notes-cred" } }),
    );
    const refused = await until(
      "Accepted=False",
      () => getObj(`${API}/notes`),
      (o) => condition(o, "Accepted")?.status === "False",
    );
    expect(condition(refused, "Accepted")?.reason).toBe("CredentialNotFound");
    const events = await until(
      "a Warning event on the MCPServer",
      async () =>
        (
          await cluster.api<{ items: { reason: string; type: string }[] }>(
            "GET",
            `/api/v1/namespaces/${NS}/events?fieldSelector=involvedObject.name%3Dnotes`,
          )
        ).body.items,
      (items) => items.some((e) => e.reason === "CredentialNotFound"),
    );
    expect(events.find((e) => e.reason === "CredentialNotFound")?.type).toBe("Warning");
    const data = { "x-api-key": Buffer.from("notes-key-123").toString("base64") };
    await create(`/api/v1/namespaces/${NS}/secrets`, {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "notes-cred", namespace: NS },
      data,
    });
    const config = await until(
      "notes in the config",
      renderedConfig,
      (c) => c?.servers.some((s) => s.name === "notes") ?? false,
    );
    expect(config?.servers.find((s) => s.name === "notes")?.headers).toEqual({ "x-api-key": "notes-key-123" });
    await syncGatewayConfig();
    const listed = await until("notes tools through the reloaded gateway", listTools, (n) =>
      n.includes("notes_add_note"),
    );
    expect(listed).toContain("weather_get_forecast");
    // A value the gateway's loader would read as an env reference is refused, and never echoed.
    const sneaky = { "x-api-key": Buffer.from("${env:HOME}").toString("base64") };
    await cluster.api(
      "PATCH",
      `/api/v1/namespaces/${NS}/secrets/notes-cred`,
      { data: sneaky },
      "application/merge-patch+json",
    );
    const invalid = await until(
      "InvalidCredential",
      () => getObj(`${API}/notes`),
      (o) => condition(o, "Accepted")?.reason === "InvalidCredential",
    );
    expect(JSON.stringify(invalid.status)).not.toContain("HOME");
  });

  it("hands leadership over when the leader dies, and a deleted MCPServer leaves nothing behind", async () => {
    const lease = async () =>
      (
        await cluster.api<{ spec: { holderIdentity?: string } }>(
          "GET",
          `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases/mcp-gateway-controller`,
        )
      ).body.spec.holderIdentity;
    const leader = await lease();
    const index = leader === "controller-a" ? 0 : 1;
    controllers[index]?.child.kill("SIGKILL");
    const next = await until("the other replica to lead", lease, (holder) => holder !== leader);
    expect(next).toBe(index === 0 ? "controller-b" : "controller-a");
    // notes usable again, so weather is not the last server (the last one going: controller-last-server.test.ts).
    await cluster.api(
      "PATCH",
      `/api/v1/namespaces/${NS}/secrets/notes-cred`,
      { data: { "x-api-key": Buffer.from("k2").toString("base64") } },
      "application/merge-patch+json",
    );
    await until(
      "notes accepted again",
      () => getObj(`${API}/notes`),
      (o) => condition(o, "Accepted")?.status === "True",
    );
    const { status } = await cluster.api("DELETE", `${API}/weather`);
    expect(status).toBe(200);
    await until(
      "weather gone from the API",
      () => getObj(`${API}/weather`),
      (o) => o.code === 404,
    );
    const config = await renderedConfig();
    expect(config?.servers.map((s) => s.name)).toEqual(["notes"]);
    const route = await getObj(`/apis/gateway.networking.k8s.io/v1/namespaces/${NS}/httproutes/mcp-gateway`);
    expect(route.spec?.rules?.some((r) => r.matches?.[0]?.headers?.[0]?.value === "weather")).toBe(false);
    const direct = await getObj(`/apis/gateway.networking.k8s.io/v1/namespaces/${NS}/httproutes/mcp-gateway-direct`);
    expect(direct.code).toBe(200);
  });

  it("Envoy mode: the rendered config under a real Envoy and `mcp-gateway envoy` routes the servers' calls", async () => {
    await gateway?.stop(); // the standalone gateway of the earlier tests: one gateway process at a time
    gateway = undefined;
    const { body } = await cluster.api<{ data: Record<string, string> }>("GET", SECRET_PATH);
    const yaml = Buffer.from(body.data["config.yaml"] ?? "", "base64").toString("utf8");
    await writeFile(join(dir, "gateway.yaml"), yaml);
    const config = parseConfig(yaml, {});
    gateway = startNode("cli/dist/main.js", ["envoy", "--config", join(dir, "gateway.yaml"), "--log-level", "warn"]);
    await gateway.waitFor(/listening on/, 30_000);
    envoy = await startEnvoy(
      renderEnvoyConfig(config, {
        ...DEFAULT_RENDER_OPTIONS,
        listener: { address: "127.0.0.1", port: 0 },
        admin: { address: "127.0.0.1", port: 0 },
        router: { address: "127.0.0.1", port: Number(config.router.listen.split(":")[1]) },
        broker: { address: "127.0.0.1", port: Number(config.broker.listen.split(":")[1]) },
      }),
    );
    const url = `${envoy.url}/mcp`;
    const names = await until(
      "the notes tools through Envoy",
      () => listTools(url),
      (n) => n.includes("notes_add_note"),
    );
    expect(names).not.toContain("weather_get_forecast"); // deleted above
    // Envoy's active health check passes the server's cluster shortly after Envoy starts: until then calls are refused.
    const called = await until(
      "a routed call through Envoy",
      async () => {
        const connected = await connectClient(url);
        try {
          return await connected.client.callTool({
            name: "notes_add_note",
            arguments: { title: "k8s", text: "via envoy" },
          });
        } finally {
          await connected.close();
        }
      },
      (result) => result !== undefined && !result.isError,
    );
    expect(JSON.stringify(called.content)).toContain("k8s");
  });

  it("hands the Lease back at SIGTERM (an empty holder: the next replica need not wait for it to expire)", async () => {
    const lease = `/apis/coordination.k8s.io/v1/namespaces/${NS}/leases/mcp-gateway-controller`;
    const holder = async (): Promise<string | undefined> =>
      (await cluster.api<{ spec: { holderIdentity?: string } }>("GET", lease)).body.spec.holderIdentity;
    const leader = controllers.find((c) => c.child.exitCode === null && c.child.signalCode === null);
    expect(["controller-a", "controller-b"]).toContain(await holder());
    await leader?.stop();
    expect(await holder()).toBe("");
  });
});
