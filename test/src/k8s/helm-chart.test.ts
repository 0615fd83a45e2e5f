import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { parse, parseAllDocuments } from "yaml";
import { parseConfig } from "@mcp-gateway/core";
import { k8sTools, startTestCluster, type TestCluster } from "../support/k8s-cluster";

jest.setTimeout(300_000);

const run = promisify(execFile);
const REPO = resolve(__dirname, "..", "..", "..");
const CHART = join(REPO, "deploy", "helm", "mcp-gateway");
const NS = "mcp-gateway";

/** Value sets the chart is checked with: the defaults, split mode with Redis and Envoy, no controller. */
const VARIANTS: Record<string, string[]> = {
  default: [],
  split: [
    "mode=split",
    "redis.enabled=true",
    "envoy.enabled=true",
    "controller.gateway=infra/gw",
    "controller.extProc=envoy-gateway",
  ],
  "no-controller": ["controller.enabled=false", "servers[0].name=weather", "servers[0].url=http://weather:8080/mcp"],
  "network-peers": [
    "networkPolicy.gatewayFrom[0].namespaceSelector.matchLabels.gateway=yes",
    "networkPolicy.metricsFrom[0].podSelector.matchLabels.app=prometheus",
    "config.admin.token=${env:ADMIN_TOKEN}",
  ],
};

interface K8sObject {
  kind: string;
  metadata: { name: string };
  spec?: Record<string, unknown>;
  rules?: unknown[];
}

let tools: ReturnType<typeof k8sTools>;
let dir: string;

async function helm(...args: string[]): Promise<string> {
  return (await run(tools.helm, args, { maxBuffer: 16 * 1024 * 1024 })).stdout;
}

async function template(variant: string): Promise<string> {
  const sets = (VARIANTS[variant] ?? []).flatMap((set) => ["--set", set]);
  return helm("template", "mcp-gateway", CHART, "--namespace", NS, "--include-crds", ...sets);
}

const objects = (yaml: string): K8sObject[] =>
  parseAllDocuments(yaml)
    .map((doc) => doc.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);

beforeAll(() => {
  tools = k8sTools(); // fails (never skips) naming `npm run k8s:install` when the binaries are missing
  dir = mkdtempSync(join(tmpdir(), "helm-chart-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the Helm chart", () => {
  it.each(Object.keys(VARIANTS))("passes helm lint (%s)", async (variant) => {
    const sets = (VARIANTS[variant] ?? []).flatMap((set) => ["--set", set]);
    const out = await helm("lint", CHART, "--strict", ...sets);
    expect(out).toContain("0 chart(s) failed");
  });

  it("refuses split mode without a shared store", async () => {
    await expect(helm("template", "x", CHART, "--set", "mode=split")).rejects.toThrow(/needs the shared Redis store/);
  });

  // The gateway accepts servers: [] (it answers initialize with empty lists and is ready): the chart renders it too.
  it.each([
    ["without the controller and without servers", ["controller.enabled=false"], "Secret", "config"],
    ["the controller's base config", [], "ConfigMap", "base-config"],
  ])("renders a gateway config the gateway accepts: %s", async (_what, sets, kind, suffix) => {
    const yaml = await helm("template", "x", CHART, ...sets.flatMap((set) => ["--set", set]));
    const found = objects(yaml).find((o) => o.kind === kind && o.metadata.name === `x-mcp-gateway-${suffix}`) as
      { stringData?: Record<string, string>; data?: Record<string, string> } | undefined;
    const text = found?.stringData?.["config.yaml"] ?? found?.data?.["config.yaml"] ?? "";
    const config = parseConfig(text, { MCP_GATEWAY_SESSION_SECRET: "s".repeat(32) });
    expect(config.servers).toEqual([]);
  });

  it("ships the repository's CRD and the controller's tested Role rules", async () => {
    expect(readFileSync(join(CHART, "crds", "mcpservers.mcp.gateway.example.yaml"), "utf8")).toBe(
      readFileSync(join(REPO, "deploy", "crds", "mcpservers.mcp.gateway.example.yaml"), "utf8"),
    );
    const role = objects(await template("default")).find((o) => o.kind === "Role");
    const tested = parse(readFileSync(join(REPO, "deploy", "rbac", "controller-role.yaml"), "utf8")) as K8sObject;
    expect(role?.rules).toEqual(tested.rules);
  });

  it("runs every container non-root, read-only, with resources and probes", async () => {
    for (const variant of Object.keys(VARIANTS)) {
      for (const deployment of objects(await template(variant)).filter((o) => o.kind === "Deployment")) {
        const pod = (deployment.spec as { template: { spec: Record<string, unknown> } }).template.spec as {
          securityContext: { runAsNonRoot: boolean };
          containers: {
            name: string;
            resources?: object;
            securityContext?: { readOnlyRootFilesystem?: boolean };
            readinessProbe?: object;
          }[];
        };
        expect(pod.securityContext.runAsNonRoot).toBe(true);
        for (const container of pod.containers) {
          const where = `${variant}/${deployment.metadata.name}/${container.name}`;
          expect([where, container.securityContext?.readOnlyRootFilesystem]).toEqual([where, true]);
          expect([where, container.resources]).toEqual([
            where,
            expect.objectContaining({ requests: expect.any(Object) }),
          ]);
          expect([where, container.readinessProbe]).toEqual([where, expect.any(Object)]);
        }
      }
    }
    const text = await template("split");
    expect(text).toContain("path: /readyz");
    expect(text).toContain("path: /healthz");
    expect(text).toMatch(/grpc:\s*\{?\s*port: 9000/);
  });

  it("probes the controller on its own listener, bound for the kubelet, and opens only that port to it", async () => {
    const all = objects(await template("default"));
    const deployment = all.find((o) => o.kind === "Deployment" && o.metadata.name.endsWith("-controller"));
    const container = (deployment?.spec as { template: { spec: { containers: Record<string, unknown>[] } } }).template
      .spec.containers[0];
    expect(container?.args).toContain("--health-listen=0.0.0.0:8090");
    expect(container?.ports).toEqual([{ name: "health", containerPort: 8090, protocol: "TCP" }]);
    expect(container?.livenessProbe).toMatchObject({ httpGet: { path: "/healthz", port: "health" } });
    expect(container?.readinessProbe).toMatchObject({ httpGet: { path: "/readyz", port: "health" } });
    const policy = all.find((o) => o.kind === "NetworkPolicy" && o.metadata.name.endsWith("-controller"));
    expect(policy?.spec).toMatchObject({ policyTypes: ["Ingress"], ingress: [{ ports: [{ port: 8090 }] }] });
    const without = objects(await template("no-controller"));
    expect(without.some((o) => o.kind === "NetworkPolicy" && o.metadata.name.endsWith("-controller"))).toBe(false);
  });

  it("keeps deploy/manifests equal to a fresh render (npm run k8s:manifests)", async () => {
    await run("node", [join(REPO, "scripts", "render-manifests.mjs")], { env: { ...process.env, MANIFESTS_OUT: dir } });
    for (const file of ["mcp-gateway.yaml", "mcp-gateway-split.yaml"]) {
      expect([file, readFileSync(join(dir, file), "utf8")]).toEqual([
        file,
        readFileSync(join(REPO, "deploy", "manifests", file), "utf8"),
      ]);
    }
  });

  describe("against a real kube-apiserver", () => {
    let cluster: TestCluster;
    beforeAll(async () => {
      cluster = await startTestCluster();
      expect(
        (
          await cluster.api("POST", "/api/v1/namespaces", {
            apiVersion: "v1",
            kind: "Namespace",
            metadata: { name: NS },
          })
        ).status,
      ).toBe(201);
    });
    afterAll(async () => {
      await cluster?.close();
    });

    it.each(Object.keys(VARIANTS))("accepts every rendered manifest in a server-side dry run (%s)", async (variant) => {
      const file = join(dir, `${variant}.yaml`);
      writeFileSync(file, await template(variant));
      const { stdout } = await run(tools.kubectl, [
        "--kubeconfig",
        cluster.kubeconfig,
        "apply",
        "--dry-run=server",
        "-n",
        NS,
        "-f",
        file,
      ]);
      const lines = stdout.trim().split("\n");
      expect(lines.length).toBe(objects(readFileSync(file, "utf8")).length);
      expect(lines.every((line) => /\(server dry run\)$/.test(line))).toBe(true);
    });

    it("refuses a broken manifest (the dry run is not vacuous)", async () => {
      const file = join(dir, "broken.yaml");
      writeFileSync(file, (await template("default")).replace("kind: Deployment", "kind: Deployment\nbogusField: 1"));
      await expect(
        run(tools.kubectl, ["--kubeconfig", cluster.kubeconfig, "apply", "--dry-run=server", "-n", NS, "-f", file]),
      ).rejects.toThrow(/bogusField/);
    });
  });
});
