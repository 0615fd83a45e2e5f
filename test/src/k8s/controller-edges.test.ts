import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parse } from "yaml";
import { renderExtProc, type RouteSettings } from "@mcp-gateway/controller";
import { startNode, type RunningProcess } from "@mcp-gateway/example-kit";
import { installCrds, k8sTools, startTestCluster, type TestCluster } from "../support/k8s-cluster";
import { NS, until } from "./controller-fixtures";

// The controller's edges against a real kube-apiserver: what it writes for Envoy Gateway and Istio, and its back-off.
jest.setTimeout(240_000);

const REPO = resolve(__dirname, "..", "..", "..");
let cluster: TestCluster;
let dir: string;
const controllers: RunningProcess[] = [];

/** A Role of `rules` bound to the controller's user in `namespace`. */
async function grant(namespace: string, name: string, rules: unknown[]): Promise<void> {
  const rbac = `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}`;
  const kind = { apiVersion: "rbac.authorization.k8s.io/v1" };
  await create(`${rbac}/roles`, { ...kind, kind: "Role", metadata: { name, namespace }, rules });
  await create(`${rbac}/rolebindings`, {
    ...kind,
    kind: "RoleBinding",
    metadata: { name, namespace },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name },
    subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "mcp-gateway-controller" }],
  });
}

/** Starts a controller in `namespace` with its probe listener on a free port; resolves it and its probes' base URL. */
async function startProbed(namespace: string, identity: string): Promise<{ url: string }> {
  const controller = startNode("cli/dist/main.js", [
    "controller",
    ...["--kubeconfig", cluster.controllerKubeconfig, "--namespace", namespace, "--identity", identity],
    ...["--base-config", join(dir, "base.yaml"), "--resync", "1s", "--lease-duration", "3s"],
    ...["--health-listen", "127.0.0.1:0"],
  ]);
  controllers.push(controller);
  const match = await controller.waitFor(/probes on (http:\/\/127\.0\.0\.1:\d+)/, 30_000);
  return { url: match[1] as string };
}

/** GET a probe: its status and JSON body. */
async function probe(
  url: string,
): Promise<{ status: number; body: { status?: string; role?: string; reason?: string } }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as never };
}

async function create(path: string, body: object): Promise<void> {
  const { status, body: answer } = await cluster.api("POST", path, body);
  if (status !== 201) throw new Error(`POST ${path}: ${status} ${JSON.stringify(answer)}`);
}

beforeAll(async () => {
  k8sTools(); // fails (never skips) naming `npm run k8s:install` when the binaries are missing
  dir = await mkdtemp(join(tmpdir(), "k8s-controller-edges-"));
  cluster = await startTestCluster();
  await installCrds(cluster, readFileSync(join(REPO, "deploy", "crds", "mcpservers.mcp.gateway.example.yaml"), "utf8"));
  await installCrds(cluster, readFileSync(k8sTools().envoyGatewayCrds, "utf8"));
  await installCrds(cluster, readFileSync(k8sTools().istioCrds, "utf8"), ["envoyfilters.networking.istio.io"]);
  await create("/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: NS } });
  await writeFile(join(dir, "base.yaml"), "version: 1\nauth: none\n");
});

afterAll(async () => {
  for (const process of controllers) await process.stop();
  await cluster?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("the discovery controller's edges against a real kube-apiserver", () => {
  it.each([
    ["envoy-gateway", "gateway.envoyproxy.io/v1alpha1", "envoyextensionpolicies", undefined],
    ["envoy-gateway", "gateway.envoyproxy.io/v1alpha1", "envoyextensionpolicies", 4_500],
    ["istio", "networking.istio.io/v1alpha3", "envoyfilters", undefined],
    ["istio", "networking.istio.io/v1alpha3", "envoyfilters", 4_500],
  ] as const)(
    "writes a %s ext_proc attachment its real CRD accepts (strict, server-side dry run; message timeout %s ms)",
    async (mode, api, plural, messageTimeoutMs) => {
      const settings: RouteSettings = {
        namespace: NS,
        name: "mcp-gateway",
        gateway: { name: "gw" },
        broker: { service: "mcp-gateway-broker", port: 8081 },
        router: { service: "mcp-gateway-router", port: 9000 },
        extProc: mode,
        ...(messageTimeoutMs ? { messageTimeoutMs } : {}),
      };
      // Another name than the controller's own attachment (which it writes for real).
      const object = renderExtProc({ ...settings, name: "dry-run-check" }) as { spec: Record<string, unknown> };
      const path = `/apis/${api}/namespaces/${NS}/${plural}?dryRun=All&fieldValidation=Strict`;
      const accepted = await cluster.api("POST", path, object);
      expect([accepted.status, accepted.body]).toEqual([201, expect.anything()]);
      // Not vacuous: a field the CRD does not know is refused.
      const broken = await cluster.api("POST", path, { ...object, spec: { ...object.spec, notAField: true } });
      expect([broken.status, JSON.stringify(broken.body)]).toEqual([400, expect.stringContaining("notAField")]);
    },
  );

  it("backs off exponentially while its passes fail (here: RBAC lets it lead but not read MCPServers)", async () => {
    const locked = "locked";
    await create("/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: locked } });
    const rbac = `/apis/rbac.authorization.k8s.io/v1/namespaces/${locked}`;
    await create(`${rbac}/roles`, {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: "lease-only", namespace: locked },
      rules: [{ apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "create", "update"] }],
    });
    await create(`${rbac}/rolebindings`, {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: "lease-only", namespace: locked },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "lease-only" },
      subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "mcp-gateway-controller" }],
    });
    const controller = startNode("cli/dist/main.js", [
      "controller",
      ...["--kubeconfig", cluster.controllerKubeconfig, "--namespace", locked, "--identity", "locked-a"],
      ...["--base-config", join(dir, "base.yaml"), "--resync", "1s", "--health-listen", "127.0.0.1:0"],
    ]);
    controllers.push(controller);
    // One JSON log line per failed pass, with the delay before the next.
    const delays = (): number[] =>
      controller
        .output()
        .split("\n")
        .filter((line) => line.includes('"controller: reconcile failed"'))
        .map((line) => (JSON.parse(line) as { retryInMs: number }).retryInMs);
    await until(
      "three failed passes",
      async () => delays(),
      (d) => d.length >= 3,
    );
    expect(delays().slice(0, 3)).toEqual([500, 1000, 2000]);
    expect(controller.output()).toMatch(/403/);
  });

  it("turns /readyz ready only once its watches are established and a pass succeeded; a standby is ready too", async () => {
    const ns = "probes";
    await create("/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
    const leaseRule = { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "create", "update"] };
    await grant(ns, "lease-only", [leaseRule]);
    const leader = await startProbed(ns, "probes-a");
    expect(await probe(`${leader.url}/healthz`)).toEqual({ status: 200, body: { status: "ok" } });
    // Leading, but RBAC refuses its watches (403): live, not ready, and it says which watch it waits for.
    const waiting = await until(
      "probes-a leading",
      () => probe(`${leader.url}/readyz`),
      (p) => p.body.role === "leader",
    );
    expect(waiting.status).toBe(503);
    expect(waiting.body.reason).toContain(`/apis/mcp.gateway.example/v1alpha1/namespaces/${ns}/mcpservers`);
    expect((await probe(`${leader.url}/healthz`)).status).toBe(200);
    // The controller's real Role: the watches open (HTTPRoutes absent: no Gateway API CRDs here), a pass follows.
    const role = parse(readFileSync(join(REPO, "deploy", "rbac", "controller-role.yaml"), "utf8")) as {
      rules: unknown[];
    };
    await grant(ns, "controller", role.rules);
    const ready = await until(
      "probes-a ready",
      () => probe(`${leader.url}/readyz`),
      (p) => p.status === 200,
    );
    expect(ready.body).toEqual({ status: "ready", role: "leader", reason: "leader: watches synced" });
    const standby = await startProbed(ns, "probes-b");
    const second = await until(
      "probes-b ready as standby",
      () => probe(`${standby.url}/readyz`),
      (p) => p.status === 200,
    );
    expect(second.body.role).toBe("standby");
    expect((await probe(`${standby.url}/nope`)).status).toBe(404);
  });
});
