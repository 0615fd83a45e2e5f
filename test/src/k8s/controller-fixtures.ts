import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parse } from "yaml";
import { pollUntil } from "../support/bounded-wait";
import type { TestCluster } from "../support/k8s-cluster";

const REPO = resolve(__dirname, "..", "..", "..");

/** The namespace the controller tests use. */
export const NS = "mcp";

/** The parts of an object the controller tests read. */
export interface Obj {
  metadata: { name: string; finalizers?: string[]; deletionTimestamp?: string };
  status?: {
    conditions?: { type: string; status: string; reason: string; message: string }[];
    toolCount?: number;
    upstream?: string;
  };
  spec?: { rules?: { matches?: { headers?: { value: string }[] }[] }[] };
}

/** An ExternalName Service of the test namespace. */
export const externalService = (name: string, port: number): object => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name, namespace: NS },
  // An ExternalName Service: the upstream runs outside the (node-less) test cluster, on loopback. 127.0.0.1 rather
  // than localhost: Envoy's resolver answers localhost with ::1 first, where the example servers do not listen.
  spec: { type: "ExternalName", externalName: "127.0.0.1", ports: [{ name: "mcp", port }] },
});

/** An MCPServer of the test namespace. */
export const mcpServer = (name: string, spec: object): object => ({
  apiVersion: "mcp.gateway.example/v1alpha1",
  kind: "MCPServer",
  metadata: { name, namespace: NS },
  spec,
});

/** Polls `get` until `done` holds (60 s at most); throws naming `what` with the last value. */
export async function until<T>(what: string, get: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  let last: T | undefined;
  // A failed attempt (the gateway not listening yet) counts as not done; the last value is reported on timeout.
  const ok = await pollUntil(async () => done((last = await get().catch(() => last as T))), 60_000, 250);
  if (!ok) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
  return last as T;
}

/** A condition of an object's status, by type. */
export const condition = (o: Obj, type: string) => o.status?.conditions?.find((c) => c.type === type);

/** The parts of an HTTPRoute the route checks read. */
export type RouteObj = { spec: { rules: { matches?: unknown[]; timeouts?: { request?: string } }[] } };

/** An HTTPRoute path match of type PathPrefix. */
export const prefix = (value: string) => ({ path: { type: "PathPrefix", value } });

/** The controller's RBAC (the chart's Role) bound to its test user, applied as admin. */
export async function grantController(cluster: TestCluster): Promise<void> {
  const role = parse(readFileSync(join(REPO, "deploy", "rbac", "controller-role.yaml"), "utf8")) as {
    metadata: Record<string, string>;
  };
  role.metadata.namespace = NS;
  expect((await cluster.api("POST", `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/roles`, role)).status).toBe(
    201,
  );
  const binding = {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: { name: "mcp-gateway-controller", namespace: NS },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
    subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: "mcp-gateway-controller" }],
  };
  expect(
    (await cluster.api("POST", `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/rolebindings`, binding)).status,
  ).toBe(201);
}

/** The gateway config the controller wrote into the Secret at `path`, parsed (undefined before it exists). */
export async function readRenderedConfig(
  cluster: TestCluster,
  path: string,
): Promise<{ servers: { name: string; url: string; headers?: Record<string, string> }[] } | undefined> {
  const { status, body } = await cluster.api<{ data?: Record<string, string> }>("GET", path);
  if (status !== 200 || !body.data?.["config.yaml"]) return undefined;
  return parse(Buffer.from(body.data["config.yaml"], "base64").toString("utf8")) as never;
}
