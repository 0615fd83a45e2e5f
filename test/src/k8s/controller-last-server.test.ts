import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startExampleServer, startNode, type RunningProcess } from "@mcp-gateway/example-kit";
import { installCrds, k8sTools, startTestCluster, type TestCluster } from "../support/k8s-cluster";
import { freePort } from "../support/redis-server";
import { connectClient, type ConnectedClient } from "../e2e/mcp-client";
import {
  externalService,
  grantController,
  mcpServer,
  NS,
  readRenderedConfig,
  until,
  type Obj,
} from "./controller-fixtures";

// Deleting the last MCPServer, against a real kube-apiserver and a real gateway: the config Secret then has no servers
// (not the last config: a deleted server must not stay routable with its credentials), its HTTPRoute rule goes, the
// finalizer completes, and the gateway fed the new config stops serving the server's tools.
jest.setTimeout(240_000);

const REPO = resolve(__dirname, "..", "..", "..");
const API = `/apis/mcp.gateway.example/v1alpha1/namespaces/${NS}/mcpservers`;
const ROUTE = `/apis/gateway.networking.k8s.io/v1/namespaces/${NS}/httproutes/mcp-gateway`;
const SECRET_PATH = `/api/v1/namespaces/${NS}/secrets/mcp-gateway-config`;

let cluster: TestCluster;
let dir: string;
let weather: RunningProcess & { port: number };
let controller: RunningProcess | undefined;
let gateway: RunningProcess | undefined;
let gatewayPort: number;
let client: ConnectedClient | undefined;

async function create(path: string, body: object): Promise<void> {
  const { status, body: answer } = await cluster.api("POST", path, body);
  if (status !== 201) throw new Error(`POST ${path}: ${status} ${JSON.stringify(answer)}`);
}

const renderedConfig = () => readRenderedConfig(cluster, SECRET_PATH);

/** What the kubelet does with the mounted Secret: the file the gateway watches gets the Secret's new content. */
async function syncGatewayConfig(): Promise<void> {
  const { body } = await cluster.api<{ data: Record<string, string> }>("GET", SECRET_PATH);
  await writeFile(join(dir, "gateway.yaml"), Buffer.from(body.data["config.yaml"] ?? "", "base64"));
}

/** The tool names a fresh MCP client lists through the gateway. */
async function listTools(): Promise<string[]> {
  const connected = await connectClient(`http://127.0.0.1:${gatewayPort}/mcp`);
  try {
    return (await connected.client.listTools()).tools.map((t) => t.name);
  } finally {
    await connected.close();
  }
}

/** The header values the controller's HTTPRoute routes by (`undefined` for the broker's catch-all rule). */
async function routedServers(): Promise<(string | undefined)[]> {
  const { body } = await cluster.api<Obj>("GET", ROUTE);
  return (body.spec?.rules ?? []).map((r) => r.matches?.[0]?.headers?.[0]?.value);
}

beforeAll(async () => {
  k8sTools(); // fails (never skips) naming `npm run k8s:install` when the binaries are missing
  dir = await mkdtemp(join(tmpdir(), "k8s-controller-last-"));
  [cluster, weather] = await Promise.all([startTestCluster(), startExampleServer("weather")]);
  await installCrds(cluster, readFileSync(join(REPO, "deploy", "crds", "mcpservers.mcp.gateway.example.yaml"), "utf8"));
  const httpRoutes = join(k8sTools().gatewayApiCrds, "standard", "gateway.networking.k8s.io_httproutes.yaml");
  await installCrds(cluster, readFileSync(httpRoutes, "utf8"));
  await installCrds(cluster, readFileSync(k8sTools().envoyGatewayCrds, "utf8"));
  await create("/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: NS } });
  await grantController(cluster);
  gatewayPort = await freePort();
  const base = [
    "version: 1",
    "auth: none",
    'sessions: { secret: "k8s-test-session-secret-0123456789abcdef" }',
    "health: { interval: 300ms, maxBackoff: 1s, timeout: 2s }",
    `standalone: { listen: "127.0.0.1:${gatewayPort}" }`,
    "",
  ].join("\n");
  await writeFile(join(dir, "base.yaml"), base);
  controller = startNode("cli/dist/main.js", [
    "controller",
    ...["--kubeconfig", cluster.controllerKubeconfig, "--namespace", NS, "--identity", "last"],
    ...["--base-config", join(dir, "base.yaml"), "--gateway", "infra/mcp-gw", "--ext-proc", "envoy-gateway"],
    ...["--resync", "1s", "--lease-duration", "3s", "--health-listen", "127.0.0.1:0"],
  ]);
  await controller.waitFor(/mcp-gateway controller: namespace/, 30_000);
});

afterAll(async () => {
  await client?.close();
  await gateway?.stop();
  await controller?.stop();
  await weather?.stop();
  await cluster?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("the discovery controller when the last MCPServer goes (real kube-apiserver, real gateway)", () => {
  it("serves the only MCPServer's tools through a gateway fed the rendered config", async () => {
    await create(`/api/v1/namespaces/${NS}/services`, externalService("weather", weather.port));
    await create(API, mcpServer("weather", { target: { service: { name: "weather", port: weather.port } } }));
    await until("weather in the config", renderedConfig, (c) => c?.servers.some((s) => s.name === "weather") ?? false);
    expect(await until("weather routed", routedServers, (r) => r.includes("weather"))).toEqual(["weather", undefined]);
    await syncGatewayConfig();
    gateway = startNode("cli/dist/main.js", ["serve", "--config", join(dir, "gateway.yaml"), "--log-level", "warn"]);
    await gateway.waitFor(/listening on/, 30_000);
    await until("the weather tools through the gateway", listTools, (n) => n.includes("weather_get_forecast"));
    client = await connectClient(`http://127.0.0.1:${gatewayPort}/mcp`);
    const forecast = await client.client.callTool({ name: "weather_get_forecast", arguments: { city: "Oslo" } });
    expect(forecast.isError).toBeFalsy();
  });

  it("renders servers: [], drops the server's route rule, completes the finalizer; the gateway stops serving it", async () => {
    expect((await cluster.api("DELETE", `${API}/weather`)).status).toBe(200);
    await until(
      "weather released (finalizer removed) and gone",
      async () => (await cluster.api("GET", `${API}/weather`)).status,
      (status) => status === 404,
    );
    const config = await until("a config without servers", renderedConfig, (c) => c?.servers.length === 0);
    expect(config?.servers).toEqual([]);
    // Only the broker's catch-all rule is left: Envoy no longer routes to the deleted server's Service.
    expect(await until("the weather rule removed", routedServers, (r) => !r.includes("weather"))).toEqual([undefined]);
    await syncGatewayConfig();
    await until("no tools through the gateway", listTools, (n) => n.length === 0);
    // A client connected before: its call is refused by name, not forwarded to the deleted server.
    await expect(
      client?.client.callTool({ name: "weather_get_forecast", arguments: { city: "Oslo" } }),
    ).rejects.toThrow(/unknown tool: "weather_get_forecast"/);
    const ready = await fetch(`http://127.0.0.1:${gatewayPort}/readyz`);
    expect([ready.status, await ready.json()]).toEqual([200, { ready: true, upstreams: [] }]);
  });
});
