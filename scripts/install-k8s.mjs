// `npm run k8s:install`: builds the Kubernetes test tools from the Go module proxy into a cache outside the repository
// (`$MCP_GATEWAY_CACHE`, else `$XDG_CACHE_HOME/mcp-gateway`, else `~/.cache/mcp-gateway`), under `k8s/<kubernetes
// version>/` (etcd, helm and the CRDs carry their own versions in their names), unless they are already there, so CI
// reruns reuse them: kube-apiserver and kubectl (a wrapper module requiring k8s.io/kubernetes at package.json
// `config.k8s.kubernetes`, its staging modules replaced by their published v0.x versions), etcd
// (go.etcd.io/etcd/server/v3), helm (helm.sh/helm/v3 cmd/helm), and the CRDs of the Gateway API
// (sigs.k8s.io/gateway-api), Envoy Gateway's EnvoyExtensionPolicy and Istio's EnvoyFilter (istio.io/api). Prints the
// directory on stdout; progress and timings go to stderr.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const pins = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).config?.k8s ?? {};
for (const key of ["kubernetes", "etcd", "helm", "gatewayApi", "envoyGateway", "istioApi"]) {
  if (typeof pins[key] !== "string" || !/^\d+\.\d+\.\d+$/.test(pins[key])) {
    console.error(`install-k8s: package.json config.k8s.${key} must be a version like 1.2.3`);
    process.exit(1);
  }
}
// Keep in step with test/src/support/k8s-binaries.ts (k8sToolsDir).
const cache =
  process.env.MCP_GATEWAY_CACHE || join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "mcp-gateway");
const dir = join(cache, "k8s", pins.kubernetes);
const goEnv = { ...process.env, GOFLAGS: "-trimpath", CGO_ENABLED: "0" };
const ldflags = "-s -w";

/** Runs go in `cwd`, its output on stderr. */
function go(cwd, args) {
  execFileSync("go", args, { cwd, stdio: ["ignore", 2, 2], env: goEnv });
}

/** Runs go and returns its stdout. */
function goOut(cwd, args) {
  return execFileSync("go", args, { cwd, env: goEnv, encoding: "utf8", stdio: ["ignore", "pipe", 2] });
}

/** Whether `path` runs with `args` (exit 0). */
function runs(path, args) {
  try {
    execFileSync(path, args, { stdio: "ignore", timeout: 60_000 });
    return true;
  } catch {
    return false;
  }
}

/** Builds `name` in a fresh module (set up by `prepare`) unless a working copy is cached; logs the time taken. */
function build(name, versionArgs, prepare) {
  const binary = join(dir, name);
  if (existsSync(binary) && runs(binary, versionArgs)) return;
  const work = mkdtempSync(join(tmpdir(), `${name}-build-`));
  const staging = `${binary}.partial`;
  const started = Date.now();
  try {
    mkdirSync(dir, { recursive: true });
    const pkg = prepare(work);
    go(work, ["build", "-ldflags", ldflags + (pkg.ldflags ?? ""), "-o", staging, pkg.path]);
    renameSync(staging, binary);
  } catch (error) {
    rmSync(staging, { force: true });
    console.error(`install-k8s: could not build ${name} (needs Go and the Go module proxy): ${error.message}`);
    process.exit(1);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  if (!runs(binary, versionArgs)) {
    console.error(`install-k8s: ${binary} was built but does not run`);
    process.exit(1);
  }
  console.error(`install-k8s: built ${name} in ${Math.round((Date.now() - started) / 1000)} s`);
}

/** The wrapper module for k8s.io/kubernetes: its staging modules (required at v0.0.0, replaced by ./staging paths
 * there) replaced by the published v0.<minor>.<patch> of each. */
function kubernetesModule(work) {
  const version = `v${pins.kubernetes}`;
  const staged = `v0.${pins.kubernetes.split(".").slice(1).join(".")}`;
  const info = JSON.parse(goOut(work, ["mod", "download", "-json", `k8s.io/kubernetes@${version}`]));
  const upstream = readFileSync(info.GoMod, "utf8");
  const required = new Set([...upstream.matchAll(/^\s+(k8s\.io\/[\w.-]+) v0\.0\.0$/gm)].map((m) => m[1]));
  const replaced = [...upstream.matchAll(/^\s+(k8s\.io\/[\w.-]+) => \.\/staging\//gm)]
    .map((m) => m[1])
    .filter((m) => required.has(m));
  const goVersion = /^go (\S+)$/m.exec(upstream)?.[1] ?? "1.26.0";
  writeFileSync(
    join(work, "go.mod"),
    [
      "module k8sbuild",
      `go ${goVersion}`,
      `require k8s.io/kubernetes ${version}`,
      ...replaced.map((m) => `replace ${m} => ${m} ${staged}`),
      "",
    ].join("\n"),
  );
  go(work, ["mod", "download", "k8s.io/kubernetes"]);
}

/** -X flags so the built binaries report the pinned version (the API server's /version and emulation version). */
function kubernetesLdflags() {
  const pkg = "k8s.io/component-base/version";
  const [major, minor] = pins.kubernetes.split(".");
  return (
    ` -X ${pkg}.gitVersion=v${pins.kubernetes} -X ${pkg}.gitMajor=${major} -X ${pkg}.gitMinor=${minor}` +
    ` -X ${pkg}.gitTreeState=clean`
  );
}

/** A module requiring the main package `pkg` at `version` as a tool, for `go build`. */
function toolModule(work, pkg, version) {
  go(work, ["mod", "init", "toolbuild"]);
  go(work, ["get", "-tool", `${pkg}@v${version}`]);
}

build("kube-apiserver", ["--version"], (work) => {
  kubernetesModule(work);
  go(work, ["get", "-tool", "k8s.io/kubernetes/cmd/kube-apiserver"]);
  return { path: "k8s.io/kubernetes/cmd/kube-apiserver", ldflags: kubernetesLdflags() };
});
build("kubectl", ["version", "--client"], (work) => {
  kubernetesModule(work);
  go(work, ["get", "-tool", "k8s.io/kubernetes/cmd/kubectl"]);
  return { path: "k8s.io/kubernetes/cmd/kubectl", ldflags: kubernetesLdflags() };
});
build(`etcd-${pins.etcd}`, ["--version"], (work) => {
  toolModule(work, "go.etcd.io/etcd/server/v3", pins.etcd);
  return { path: "go.etcd.io/etcd/server/v3" };
});
build(`helm-${pins.helm}`, ["version", "--short"], (work) => {
  toolModule(work, "helm.sh/helm/v3/cmd/helm", pins.helm);
  // As helm's Makefile: the Kubernetes version it assumes offline (helm template, lint, kubeVersion checks) is its
  // client-go's (v0.N.x is Kubernetes 1.N), else it would claim v1.20.0; and its own version.
  const clientGo = goOut(work, ["list", "-m", "-f", "{{.Version}}", "k8s.io/client-go"]).trim();
  const minor = clientGo.split(".")[1];
  const flags = ["pkg/lint/rules", "pkg/chartutil"].map(
    (pkg) => ` -X helm.sh/helm/v3/${pkg}.k8sVersionMajor=1 -X helm.sh/helm/v3/${pkg}.k8sVersionMinor=${minor}`,
  );
  return {
    path: "helm.sh/helm/v3/cmd/helm",
    ldflags: `${flags.join("")} -X helm.sh/helm/v3/internal/version.version=v${pins.helm}`,
  };
});

/** Copies files of a module (from the Go module proxy, via the module cache) into the cache folder `name`, once. */
function fetchModuleFiles(name, module, version, files) {
  const target = join(dir, name);
  if (existsSync(target)) return;
  const work = mkdtempSync(join(tmpdir(), "k8s-crds-"));
  try {
    const info = JSON.parse(goOut(work, ["mod", "download", "-json", `${module}@v${version}`]));
    mkdirSync(`${target}.partial`, { recursive: true });
    for (const [from, to] of files) cpSync(join(info.Dir, from), join(`${target}.partial`, to), { recursive: true });
    renameSync(`${target}.partial`, target);
  } catch (error) {
    rmSync(`${target}.partial`, { recursive: true, force: true });
    // `go mod download -json` reports its reason (e.g. a newer Go required) in the JSON's Error field.
    const reason = /"Error": "([^"]*)"/.exec(String(error.stdout ?? ""))?.[1] ?? error.message;
    console.error(`install-k8s: could not fetch ${module}@v${version}: ${reason}`);
    process.exit(1);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// CRDs the tests install: the Gateway API (standard and experimental channels), and the ext_proc attachments the
// controller writes, Envoy Gateway's EnvoyExtensionPolicy and Istio's EnvoyFilter (among Istio's CRDs).
fetchModuleFiles(`gateway-api-${pins.gatewayApi}`, "sigs.k8s.io/gateway-api", pins.gatewayApi, [
  ["config/crd/standard", "standard"],
  ["config/crd/experimental", "experimental"],
]);
fetchModuleFiles(`envoy-gateway-${pins.envoyGateway}`, "github.com/envoyproxy/gateway", pins.envoyGateway, [
  [
    "charts/gateway-helm/charts/crds/crds/generated/gateway.envoyproxy.io_envoyextensionpolicies.yaml",
    "envoyextensionpolicies.yaml",
  ],
]);
fetchModuleFiles(`istio-api-${pins.istioApi}`, "istio.io/api", pins.istioApi, [
  ["kubernetes/customresourcedefinitions.gen.yaml", "customresourcedefinitions.yaml"],
]);
console.log(dir);
