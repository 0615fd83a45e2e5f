import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { homedir, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseAllDocuments } from "yaml";
import { pollUntil } from "./bounded-wait";
import { freePort } from "./redis-server";

/** The repository root (test/{src,dist}/support → ../../..). */
const REPO_ROOT = resolve(__dirname, "..", "..", "..");

/** The pinned tools and CRD modules of package.json `config.k8s`. */
type Pin = "kubernetes" | "etcd" | "helm" | "gatewayApi" | "envoyGateway" | "istioApi";

/** The pinned versions of package.json `config.k8s`. */
export function k8sPins(): Record<Pin, string> {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { config?: { k8s?: unknown } };
  const pins = pkg.config?.k8s as Record<Pin, string> | undefined;
  if (!pins) throw new Error("package.json config.k8s is missing");
  return pins;
}

/** The tools `npm run k8s:install` builds (kept in step with scripts/install-k8s.mjs); throws (never skips) when one
 * is missing, naming the command that builds them. */
export function k8sTools(env: NodeJS.ProcessEnv = process.env): {
  kubeApiserver: string;
  kubectl: string;
  etcd: string;
  helm: string;
  gatewayApiCrds: string;
  envoyGatewayCrds: string;
  istioCrds: string;
} {
  const pins = k8sPins();
  const cache = env["MCP_GATEWAY_CACHE"] || join(env["XDG_CACHE_HOME"] || join(homedir(), ".cache"), "mcp-gateway");
  const dir = join(cache, "k8s", pins.kubernetes);
  const tools = {
    kubeApiserver: join(dir, "kube-apiserver"),
    kubectl: join(dir, "kubectl"),
    etcd: join(dir, `etcd-${pins.etcd}`),
    helm: join(dir, `helm-${pins.helm}`),
    gatewayApiCrds: join(dir, `gateway-api-${pins.gatewayApi}`),
    envoyGatewayCrds: join(dir, `envoy-gateway-${pins.envoyGateway}`, "envoyextensionpolicies.yaml"),
    istioCrds: join(dir, `istio-api-${pins.istioApi}`, "customresourcedefinitions.yaml"),
  };
  for (const path of Object.values(tools)) {
    try {
      accessSync(path, /\.yaml$|gateway-api-/.test(path) ? constants.R_OK : constants.X_OK);
    } catch {
      throw new Error(`missing ${path}: run \`npm run k8s:install\` (builds the Kubernetes test tools with Go)`);
    }
  }
  return tools;
}

/** A kube-apiserver with its etcd on loopback, and an admin client (system:masters, so past RBAC). */
export interface TestCluster {
  /** A kubeconfig with the admin client certificate. */
  kubeconfig: string;
  /** A kubeconfig of the user `mcp-gateway-controller` (no groups: only what RBAC grants it). */
  controllerKubeconfig: string;
  server: string;
  /** One API request as admin; resolves status and decoded body (never throws on a non-2xx status). */
  api<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    contentType?: string,
  ): Promise<{ status: number; body: T }>;
  close(): Promise<void>;
}

/** A CA, the API server's serving certificate, client certificates and the service-account key, made with openssl. */
function makePki(dir: string): void {
  const ssl = (...args: string[]): void => void execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  ssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "1",
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
    "-subj",
    "/CN=test-ca",
  );
  const issue = (name: string, subject: string, ext: string): void => {
    ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subject);
    writeFileSync(join(dir, `${name}.ext`), ext);
    ssl(
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-days",
      "1",
      "-out",
      `${name}.crt`,
      "-extfile",
      `${name}.ext`,
    );
  };
  issue("apiserver", "/CN=kube-apiserver", "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
  issue("admin", "/O=system:masters/CN=test-admin", "extendedKeyUsage=clientAuth\n");
  issue("controller", "/CN=mcp-gateway-controller", "extendedKeyUsage=clientAuth\n");
  ssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "sa.key");
  ssl("pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub");
}

function kubeconfigFor(dir: string, server: string, user: string): string {
  const path = join(dir, `${user}.kubeconfig`);
  const config = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "test", cluster: { server, "certificate-authority": join(dir, "ca.crt") } }],
    users: [
      { name: user, user: { "client-certificate": join(dir, `${user}.crt`), "client-key": join(dir, `${user}.key`) } },
    ],
    contexts: [{ name: "test", context: { cluster: "test", user, namespace: "default" } }],
    "current-context": "test",
  };
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

function run(binary: string, args: string[], log: string): ChildProcess {
  const child = spawn(binary, args, { stdio: ["ignore", "ignore", "pipe"] });
  let tail = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    tail = (tail + chunk.toString("utf8")).slice(-4000);
  });
  child.on("exit", (code) => {
    if (code !== null && code !== 0) writeFileSync(log, tail);
  });
  return child;
}

/** Starts etcd and kube-apiserver (RBAC authorization, client-certificate authentication) on free loopback ports. */
export async function startTestCluster(): Promise<TestCluster> {
  const tools = k8sTools();
  const dir = mkdtempSync(join(tmpdir(), "k8s-test-"));
  makePki(dir);
  const [etcdClient, etcdPeer, securePort] = [await freePort(), await freePort(), await freePort()];
  const etcdUrl = `http://127.0.0.1:${etcdClient}`;
  const peerUrl = `http://127.0.0.1:${etcdPeer}`;
  const etcd = run(
    tools.etcd,
    [
      ...["--name", "test", "--data-dir", join(dir, "etcd"), "--unsafe-no-fsync"],
      ...["--listen-client-urls", etcdUrl, "--advertise-client-urls", etcdUrl],
      ...[
        "--listen-peer-urls",
        peerUrl,
        "--initial-advertise-peer-urls",
        peerUrl,
        "--initial-cluster",
        `test=${peerUrl}`,
      ],
      ...["--log-level", "error"],
    ],
    join(dir, "etcd.log"),
  );
  const processes: ChildProcess[] = [etcd];
  const close = async (): Promise<void> => {
    for (const child of processes.reverse()) {
      if (child.exitCode === null) {
        const exited = new Promise((done) => child.once("exit", done));
        child.kill("SIGTERM");
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([exited, new Promise((done) => (timer = setTimeout(done, 10_000)))]);
        clearTimeout(timer);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const etcdUp = await pollUntil(
      () =>
        fetch(`${etcdUrl}/health`).then(
          (r) => r.ok,
          () => false,
        ),
      60_000,
      250,
    );
    if (!etcdUp) throw new Error(`etcd did not come up on ${etcdUrl}: ${tailOf(join(dir, "etcd.log"))}`);
    const apiserver = run(
      tools.kubeApiserver,
      [
        `--etcd-servers=${etcdUrl}`,
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        `--secure-port=${securePort}`,
        `--tls-cert-file=${join(dir, "apiserver.crt")}`,
        `--tls-private-key-file=${join(dir, "apiserver.key")}`,
        `--client-ca-file=${join(dir, "ca.crt")}`,
        `--service-account-key-file=${join(dir, "sa.pub")}`,
        `--service-account-signing-key-file=${join(dir, "sa.key")}`,
        "--service-account-issuer=https://kubernetes.default.svc",
        "--service-cluster-ip-range=10.96.0.0/16",
        "--authorization-mode=RBAC",
        "--anonymous-auth=false",
        "--enable-priority-and-fairness=false",
        "--endpoint-reconciler-type=none",
      ],
      join(dir, "apiserver.log"),
    );
    processes.push(apiserver);
    const server = `https://127.0.0.1:${securePort}`;
    const ca = readFileSync(join(dir, "ca.crt"));
    const cert = readFileSync(join(dir, "admin.crt"));
    const key = readFileSync(join(dir, "admin.key"));
    const api: TestCluster["api"] = (method, path, body, contentType = "application/json") =>
      apiRequest(new URL(path, server), { ca, cert, key }, method, body, contentType);
    const ready = await pollUntil(
      () =>
        api("GET", "/readyz").then(
          (r) => r.status === 200,
          () => false,
        ),
      180_000,
      500,
    );
    if (!ready) throw new Error(`kube-apiserver not ready on ${server}: ${tailOf(join(dir, "apiserver.log"))}`);
    return {
      kubeconfig: kubeconfigFor(dir, server, "admin"),
      controllerKubeconfig: kubeconfigFor(dir, server, "controller"),
      server,
      api,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

function tailOf(path: string): string {
  try {
    return readFileSync(path, "utf8").slice(-1500);
  } catch {
    return "(no log: still running)";
  }
}

function apiRequest<T>(
  url: URL,
  tls: { ca: Buffer; cert: Buffer; key: Buffer },
  method: string,
  body: unknown,
  contentType: string,
): Promise<{ status: number; body: T }> {
  const text = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
  return new Promise((resolvePromise, reject) => {
    const req = request(
      url,
      {
        method,
        ...tls,
        headers: { accept: "application/json", ...(text ? { "content-type": contentType } : {}) },
        timeout: 30_000,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          const raw = Buffer.concat(chunks).toString("utf8");
          let parsed: unknown = raw;
          try {
            parsed = raw ? JSON.parse(raw) : undefined;
          } catch {
            // not JSON (e.g. /readyz's "ok")
          }
          resolvePromise({ status: response.statusCode ?? 0, body: parsed as T });
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${url.pathname}: timed out`)));
    req.on("error", reject);
    req.end(text);
  });
}

/** Creates the CustomResourceDefinitions of a YAML file (one or more documents; only those named in `only`, when
 * given) and waits until each is Established. */
export async function installCrds(cluster: TestCluster, yamlText: string, only?: readonly string[]): Promise<string[]> {
  const names: string[] = [];
  for (const doc of parseAllDocuments(yamlText)) {
    const crd = doc.toJS() as { kind?: string; metadata?: { name?: string } } | null;
    if (crd?.kind !== "CustomResourceDefinition" || !crd.metadata?.name) continue;
    if (only && !only.includes(crd.metadata.name)) continue;
    const created = await cluster.api("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd);
    if (created.status !== 201 && created.status !== 409) {
      throw new Error(`creating CRD ${crd.metadata.name}: ${created.status} ${JSON.stringify(created.body)}`);
    }
    names.push(crd.metadata.name);
  }
  for (const name of names) {
    const established = await pollUntil(
      async () => {
        const { body } = await cluster.api<{ status?: { conditions?: { type: string; status: string }[] } }>(
          "GET",
          `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`,
        );
        return body.status?.conditions?.some((c) => c.type === "Established" && c.status === "True") ?? false;
      },
      60_000,
      200,
    );
    if (!established) throw new Error(`CRD ${name} not Established within 60 s`);
  }
  return names;
}
