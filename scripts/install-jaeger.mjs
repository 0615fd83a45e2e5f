// `npm run jaeger:install`: builds the pinned Jaeger all-in-one (package.json `config.jaegerVersion`) from the Go module
// proxy into a cache outside the repository (`$MCP_GATEWAY_CACHE`, else `$XDG_CACHE_HOME/mcp-gateway`, else
// `~/.cache/mcp-gateway`), unless it is already there, so CI reruns reuse it. Prints the binary's path on stdout
// (progress goes to stderr). The tracing tests start it on loopback and read traces back over its query API.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const version = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).config?.jaegerVersion;
if (typeof version !== "string" || !/^\d+\.\d+\.\d+$/.test(version)) {
  console.error("install-jaeger: package.json config.jaegerVersion must be a version like 1.76.0");
  process.exit(1);
}
// Keep in step with test/src/support/jaeger-binary.ts (cachedJaegerPath).
const cache =
  process.env.MCP_GATEWAY_CACHE || join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "mcp-gateway");
const binary = join(cache, "jaeger", version, "jaeger");

/** Whether a Jaeger binary runs (`jaeger version` prints its build info as JSON). */
function runs(path) {
  try {
    execFileSync(path, ["version"], { stdio: "ignore", timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}

if (existsSync(binary) && runs(binary)) {
  console.log(binary);
  process.exit(0);
}

const module = "github.com/jaegertracing/jaeger";
console.error(`install-jaeger: building ${module}/cmd/jaeger@v${version} with Go (a few minutes, once) into ${binary}`);
const work = mkdtempSync(join(tmpdir(), "jaeger-build-"));
const staging = `${binary}.partial`;
const go = (args) => execFileSync("go", args, { cwd: work, stdio: ["ignore", 2, 2], env: process.env });
try {
  go(["mod", "init", "jaegerbuild"]);
  go(["get", "-tool", `${module}/cmd/jaeger@v${version}`]);
  mkdirSync(dirname(binary), { recursive: true });
  go(["build", "-o", staging, `${module}/cmd/jaeger`]);
  renameSync(staging, binary);
} catch (error) {
  rmSync(staging, { force: true });
  console.error(
    `install-jaeger: could not build Jaeger ${version} (needs Go and the Go module proxy): ${error.message}`,
  );
  process.exit(1);
} finally {
  rmSync(work, { recursive: true, force: true });
}
if (!runs(binary)) {
  console.error(`install-jaeger: ${binary} was built but does not run`);
  process.exit(1);
}
console.log(binary);
