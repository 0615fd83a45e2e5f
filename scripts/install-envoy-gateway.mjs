// `npm run envoy-gateway:install`: builds Envoy Gateway (github.com/envoyproxy/gateway cmd/envoy-gateway at
// package.json `config.k8s.envoyGateway`) from the Go module proxy into a cache outside the repository
// (`$MCP_GATEWAY_CACHE`, else `$XDG_CACHE_HOME/mcp-gateway`, else `~/.cache/mcp-gateway`), under
// `envoy-gateway/<version>/envoy-gateway`, unless a working copy is already there, so CI reruns reuse it. The test that
// runs it in standalone (host) mode against the controller's rendered routes is test/src/k8s/envoy-gateway.test.ts.
// Prints the binary's path on stdout; progress and timings go to stderr.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const version = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).config?.k8s?.envoyGateway;
if (typeof version !== "string" || !/^\d+\.\d+\.\d+$/.test(version)) {
  console.error("install-envoy-gateway: package.json config.k8s.envoyGateway must be a version like 1.2.3");
  process.exit(1);
}
// Keep in step with test/src/support/envoy-gateway.ts (envoyGatewayBinary).
const cache =
  process.env.MCP_GATEWAY_CACHE || join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "mcp-gateway");
const dir = join(cache, "envoy-gateway", version);
const binary = join(dir, "envoy-gateway");
const goEnv = { ...process.env, GOFLAGS: "-trimpath", CGO_ENABLED: "0" };

/** Runs go in `cwd`, its output on stderr. */
function go(cwd, args) {
  execFileSync("go", args, { cwd, stdio: ["ignore", 2, 2], env: goEnv });
}

/** Whether the binary runs `version` (exit 0). */
function runs() {
  try {
    execFileSync(binary, ["version"], { stdio: "ignore", timeout: 60_000 });
    return true;
  } catch {
    return false;
  }
}

if (!(existsSync(binary) && runs())) {
  const work = mkdtempSync(join(tmpdir(), "envoy-gateway-build-"));
  const staging = `${binary}.partial`;
  const started = Date.now();
  const pkg = "github.com/envoyproxy/gateway/cmd/envoy-gateway";
  try {
    mkdirSync(dir, { recursive: true });
    go(work, ["mod", "init", "egbuild"]);
    go(work, ["get", "-tool", `${pkg}@v${version}`]);
    const ldflags = `-s -w -X github.com/envoyproxy/gateway/internal/cmd/version.envoyGatewayVersion=v${version}`;
    go(work, ["build", "-ldflags", ldflags, "-o", staging, pkg]);
    renameSync(staging, binary);
  } catch (error) {
    rmSync(staging, { force: true });
    console.error(
      `install-envoy-gateway: could not build ${pkg}@v${version} (needs Go and the Go module proxy): ${error.message}`,
    );
    process.exit(1);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  if (!runs()) {
    console.error(`install-envoy-gateway: ${binary} was built but does not run`);
    process.exit(1);
  }
  console.error(
    `install-envoy-gateway: built envoy-gateway v${version} in ${Math.round((Date.now() - started) / 1000)} s`,
  );
}
console.log(binary);
