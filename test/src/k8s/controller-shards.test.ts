import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startNode, type RunningProcess } from "@mcp-gateway/example-kit";
import { installCrds, k8sTools, startTestCluster, type TestCluster } from "../support/k8s-cluster";
import { condition, externalService, grantController, mcpServer, NS, until, type Obj } from "./controller-fixtures";

// More MCPServers than one HTTPRoute has rules for (Gateway API: 16), against a real kube-apiserver and real CRDs.
jest.setTimeout(240_000);

const REPO = resolve(__dirname, "..", "..", "..");
const API = `/apis/mcp.gateway.example/v1alpha1/namespaces/${NS}/mcpservers`;
const ROUTES = `/apis/gateway.networking.k8s.io/v1/namespaces/${NS}/httproutes`;
const POLICY = `/apis/gateway.envoyproxy.io/v1alpha1/namespaces/${NS}/envoyextensionpolicies/mcp-gateway`;
const MANAGED = "app.kubernetes.io/managed-by=mcp-gateway-controller";
const COUNT = 40;
const names = Array.from({ length: COUNT }, (_, n) => `srv-${String(n).padStart(2, "0")}`);

interface Route {
  metadata: { name: string; labels?: Record<string, string> };
  spec: { rules: { matches?: { headers?: { value: string }[] }[] }[] };
}

let cluster: TestCluster;
let dir: string;
let controller: RunningProcess | undefined;

async function create(path: string, body: object): Promise<void> {
  const { status, body: answer } = await cluster.api("POST", path, body);
  if (status !== 201) throw new Error(`POST ${path}: ${status} ${JSON.stringify(answer)}`);
}

/** The controller's shard routes (its label, not the direct route), by name. */
async function shards(): Promise<Map<string, Route>> {
  const { body } = await cluster.api<{ items: Route[] }>("GET", `${ROUTES}?labelSelector=${MANAGED}`);
  return new Map(body.items.filter((r) => !r.metadata.name.endsWith("-direct")).map((r) => [r.metadata.name, r]));
}

/** Which shard routes each server (x-destination-mcp value → route name); a server in two shards fails. */
function placement(routes: Map<string, Route>): Map<string, string> {
  const placed = new Map<string, string>();
  for (const [name, route] of routes) {
    for (const value of route.spec.rules.flatMap((r) => r.matches?.[0]?.headers?.map((h) => h.value) ?? [])) {
      if (placed.has(value)) throw new Error(`${value} is routed by ${placed.get(value)} and ${name}`);
      placed.set(value, name);
    }
  }
  return placed;
}

const policyTargets = async (): Promise<string[]> => {
  const { body } = await cluster.api<{ spec?: { targetRefs?: { name: string }[] } }>("GET", POLICY);
  return (body.spec?.targetRefs ?? []).map((t) => t.name).sort();
};

/** A server-side dry run (strict fields, the CRD's schema and CEL rules) of a copy of `object` under another name. */
async function dryRun(collection: string, object: { metadata: { name: string }; spec: object }): Promise<number> {
  const { apiVersion, kind } = object as unknown as { apiVersion: string; kind: string };
  const copy = { apiVersion, kind, metadata: { name: `${object.metadata.name}-check`, namespace: NS } };
  const path = `${collection}?dryRun=All&fieldValidation=Strict`;
  return (await cluster.api("POST", path, { ...copy, spec: object.spec })).status;
}

beforeAll(async () => {
  k8sTools(); // fails (never skips) naming `npm run k8s:install` when the binaries are missing
  dir = await mkdtemp(join(tmpdir(), "k8s-controller-shards-"));
  cluster = await startTestCluster();
  await installCrds(cluster, readFileSync(join(REPO, "deploy", "crds", "mcpservers.mcp.gateway.example.yaml"), "utf8"));
  const httpRoutes = join(k8sTools().gatewayApiCrds, "standard", "gateway.networking.k8s.io_httproutes.yaml");
  await installCrds(cluster, readFileSync(httpRoutes, "utf8"));
  await installCrds(cluster, readFileSync(k8sTools().envoyGatewayCrds, "utf8"));
  await create("/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: NS } });
  await grantController(cluster);
  // A backendInitTimeout past the default: the policy's message timeout is computed from it (9.5 s + 1 s).
  await writeFile(join(dir, "base.yaml"), "version: 1\nauth: none\nsessions: { backendInitTimeout: 9500ms }\n");
  controller = startNode("cli/dist/main.js", [
    "controller",
    ...["--kubeconfig", cluster.controllerKubeconfig, "--namespace", NS, "--identity", "shards"],
    ...["--base-config", join(dir, "base.yaml"), "--gateway", "infra/mcp-gw", "--ext-proc", "envoy-gateway"],
    ...["--resync", "1s", "--lease-duration", "3s", "--health-listen", "127.0.0.1:0"],
  ]);
  await controller.waitFor(/mcp-gateway controller: namespace/, 30_000);
});

afterAll(async () => {
  await controller?.stop();
  await cluster?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("the discovery controller with more MCPServers than one HTTPRoute holds", () => {
  it("routes 40 MCPServers over HTTPRoute shards the real CRDs accept, the policy targeting each", async () => {
    await create(`/api/v1/namespaces/${NS}/services`, externalService("shared", 8080));
    // Another owner's route on a shard name: never written over, never deleted; the controller skips that name.
    await create(ROUTES, {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "HTTPRoute",
      metadata: { name: "mcp-gateway-3", namespace: NS },
      spec: { parentRefs: [{ name: "other" }] },
    });
    for (const name of names)
      await create(API, mcpServer(name, { target: { service: { name: "shared", port: 8080 } } }));
    const routes = await until("all 40 servers routed", shards, (r) => placement(r).size === COUNT);
    expect([...routes.keys()].sort()).toEqual(["mcp-gateway", "mcp-gateway-2", "mcp-gateway-4"]);
    // 15 servers and the broker rule, 16 servers, the other 9 (a rule each).
    expect([...routes.values()].map((r) => r.spec.rules.length).sort((a, b) => a - b)).toEqual([9, 16, 16]);
    expect([...placement(routes).keys()].sort()).toEqual(names);
    for (const route of routes.values())
      expect([route.metadata.name, await dryRun(ROUTES, route)]).toEqual([route.metadata.name, 201]);
    expect(await until("the policy on every shard", policyTargets, (t) => t.length === 3)).toEqual([
      "mcp-gateway",
      "mcp-gateway-2",
      "mcp-gateway-4",
    ]);
    const policy = await cluster.api<{ metadata: { name: string }; spec: { extProc: object[] } }>("GET", POLICY);
    const policies = POLICY.slice(0, POLICY.lastIndexOf("/"));
    expect(await dryRun(policies, policy.body)).toBe(201);
    // render-envoy's ext_proc settings, as stored by the API server (unknown fields would have been pruned).
    expect(policy.body.spec.extProc[0]).toMatchObject({
      messageTimeout: "10500ms",
      metadata: { writableNamespaces: ["mcp_gateway"] },
      processingMode: { request: { body: "Buffered", attributes: ["source.address"] }, allowModeOverride: true },
    });
    // Every MCPServer is accepted (the pass that routes them writes their status next).
    const accepted = (items: Obj[]) => items.filter((s) => condition(s, "Accepted")?.status === "True").length;
    await until(
      "all accepted",
      () => cluster.api<{ items: Obj[] }>("GET", API),
      (r) => accepted(r.body.items) === COUNT,
    );
  });

  it("adds a server without moving any other one", async () => {
    const before = placement(await shards());
    await create(API, mcpServer("aaa-first", { target: { service: { name: "shared", port: 8080 } } }));
    const after = placement(await until("the new server routed", shards, (r) => placement(r).has("aaa-first")));
    for (const [name, route] of before) expect([name, after.get(name)]).toEqual([name, route]);
  });

  it("deletes the shards no longer needed, and only its own", async () => {
    const first = placement(await shards());
    const keep = [...first].filter(([, route]) => route === "mcp-gateway").map(([name]) => name);
    for (const name of [...first.keys()].filter((n) => !keep.includes(n))) {
      expect((await cluster.api("DELETE", `${API}/${name}`)).status).toBe(200);
    }
    const routes = await until("the surplus shards deleted", shards, (r) => r.size === 1);
    expect([...placement(routes).keys()].sort()).toEqual(keep.sort());
    expect(await until("the policy on the one shard", policyTargets, (t) => t.length === 1)).toEqual(["mcp-gateway"]);
    expect((await cluster.api("GET", `${ROUTES}/mcp-gateway-3`)).status).toBe(200);
    // The deleted MCPServers released (finalizers removed), the kept ones still accepted: names and conditions only.
    const summary = async () =>
      (await cluster.api<{ items: Obj[] }>("GET", API)).body.items.map((s) => ({
        name: s.metadata.name,
        accepted: condition(s, "Accepted")?.status,
      }));
    const remaining = await until("the deleted MCPServers released", summary, (r) => r.length === keep.length);
    expect(remaining).toEqual(keep.map((name) => ({ name, accepted: "True" })));
  });
});
