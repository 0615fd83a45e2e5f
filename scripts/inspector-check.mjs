// `npm run check:inspector`: lists tools through a standalone gateway with the official MCP Inspector CLI, the way an
// operator with an API-key-only config would, and fails when the Inspector does not list them (an OAuth prompt such
// as "Interactive OAuth requires a TTY" among the reasons). It starts everything itself on free loopback ports: the
// example weather server and `mcp-gateway serve` with a config that has an API key and no OAuth. The Inspector
// (package.json config.inspectorVersion) needs Node >= 22.19: it and the pinned Node 22 are installed on demand into
// the git-ignored .tools/ (about 110 MB); the gateway runs on the Node that runs this script.
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { get } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { clearTimeout, setTimeout } from "node:timers";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const config = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).config ?? {};
const inspectorVersion = config.inspectorVersion;
const KEY = "mcpgw_inspector_check_key"; // a throwaway key for this run's own gateway
const READY_TIMEOUT_MS = 30_000;
const INSPECTOR_TIMEOUT_MS = 60_000;

function fail(message) {
  console.error(`check:inspector: FAILED: ${message}`);
  process.exitCode = 1;
}

/** The pinned Node 22 (installs it when missing). */
function node22() {
  const args = [join(root, "scripts", "install-node.mjs"), "22"];
  return execFileSync(process.execPath, args, { encoding: "utf8", stdio: ["ignore", "pipe", 2] }).trim();
}

/** The Inspector's launcher in .tools/inspector/<version>, installed with npm running on `node` when missing. */
function inspector(node) {
  const target = join(root, ".tools", "inspector", inspectorVersion);
  const launcher = join(target, "node_modules", "@modelcontextprotocol", "inspector", "clients", "launcher", "build");
  if (existsSync(join(launcher, "index.js"))) return join(launcher, "index.js");
  console.error(`check:inspector: installing @modelcontextprotocol/inspector@${inspectorVersion} into ${target}`);
  const staging = `${target}.partial`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  // Its postinstall only sets up a source checkout (it exits at once inside node_modules): denied, so npm 11 does not
  // warn about it. npm runs on the Node 22 put first on PATH, which the Inspector's engines (>= 22.19) require.
  const manifest = { private: true, allowScripts: { "@modelcontextprotocol/inspector": false } };
  writeFileSync(join(staging, "package.json"), JSON.stringify(manifest));
  const env = { ...process.env, PATH: `${dirname(node)}${delimiter}${process.env.PATH ?? ""}` };
  const install = [
    "install",
    "--no-audit",
    "--no-fund",
    "--save-exact",
    `@modelcontextprotocol/inspector@${inspectorVersion}`,
  ];
  execFileSync("npm", install, { cwd: staging, env, stdio: ["ignore", 2, 2] });
  rmSync(target, { recursive: true, force: true });
  renameSync(staging, target);
  return join(launcher, "index.js");
}

/** A loopback port nothing listens on right now. */
function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer().once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/** Starts a child and resolves with it and its output so far once `ready` matches that output. */
function startUntil(label, args, ready) {
  return new Promise((resolveStart, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const timer = setTimeout(
      () => reject(new Error(`${label} not ready within ${READY_TIMEOUT_MS} ms:\n${output}`)),
      READY_TIMEOUT_MS,
    );
    const onData = (chunk) => {
      output += chunk.toString();
      const match = ready.exec(output);
      if (match) {
        clearTimeout(timer);
        resolveStart({ child, match });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${label} exited (${code}) before it was ready:\n${output}`));
    });
  });
}

/** Polls `url` until it answers 200. */
async function waitFor200(url) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const status = await new Promise((done) => {
      get(url, (res) => done(res.resume().statusCode)).once("error", () => done(0));
    });
    if (status === 200) return;
    await sleep(200);
  }
  throw new Error(`${url} did not answer 200 within ${READY_TIMEOUT_MS} ms`);
}

/** Runs the Inspector CLI without a TTY (as CI does) and resolves with its exit status and output. */
function runInspector(node, launcher, args, scratch) {
  return new Promise((resolveRun) => {
    // Its catalog of servers goes to the scratch folder, not to ~/.mcp-inspector.
    const env = { ...process.env, MCP_CATALOG_PATH: join(scratch, "catalog.json") };
    const child = spawn(node, [launcher, "--cli", ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), INSPECTOR_TIMEOUT_MS);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      resolveRun({ code: code ?? signal, stdout, stderr });
    });
  });
}

function gatewayConfig(weatherUrl, port) {
  const keyHash = `sha256:${createHash("sha256").update(KEY).digest("hex")}`;
  return [
    "version: 1",
    "servers:",
    "  - name: weather",
    `    url: ${weatherUrl}`,
    "standalone:",
    `  listen: 127.0.0.1:${port}`,
    "auth:",
    "  apiKeys:",
    "    header: authorization",
    "consumers:",
    "  - name: inspector",
    `    keyHash: ${keyHash}`,
    "    policy: everything",
    "policies:",
    "  everything:",
    '    tools: ["*"]',
    "",
  ].join("\n");
}

/** With the key: the Inspector lists the weather tools, and never mentions OAuth. */
async function listWithKey(inspect) {
  const run = await inspect(["--header", `Authorization: Bearer ${KEY}`, "--method", "tools/list"]);
  process.stdout.write(run.stdout);
  process.stderr.write(run.stderr);
  const names = [...run.stdout.matchAll(/"name":\s*"(weather_[^"]+)"/g)].map((m) => m[1]);
  if (/oauth/i.test(run.stdout + run.stderr))
    fail("with the key, the Inspector mentions OAuth: it tried an OAuth flow");
  else if (run.code !== 0) fail(`with the key, the Inspector exited with ${run.code}`);
  else if (names.length === 0) fail("with the key, the Inspector listed no weather_* tool");
  else console.log(`check:inspector: with the key: listed ${names.join(", ")}`);
}

/**
 * Without a key the gateway refuses (401). The Inspector 2.x answers any 401 Bearer challenge by trying OAuth discovery
 * on its own (it then reports `auth_required`), with or without metadata from the gateway: only the refusal is checked.
 */
async function refusedWithoutKey(inspect) {
  const run = await inspect(["--method", "tools/list"]);
  const output = (run.stdout + run.stderr).trim();
  if (run.code === 0) fail(`without a key, the Inspector listed tools:\n${output}`);
  else console.log(`check:inspector: without a key: refused (the Inspector says: ${output.split("\n")[0]})`);
}

async function main() {
  if (typeof inspectorVersion !== "string") throw new Error("package.json config.inspectorVersion is missing");
  const node = node22();
  const launcher = inspector(node);
  const scratch = mkdtempSync(join(tmpdir(), "mcp-gateway-inspector-"));
  const children = [];
  try {
    const weatherMain = join(root, "examples", "weather-server", "dist", "main.js");
    const weather = await startUntil("weather server", [weatherMain, "--port", "0"], /listening on (http:\S+\/mcp)/);
    children.push(weather.child);
    const port = await freePort();
    const configPath = join(scratch, "gateway.yaml");
    writeFileSync(configPath, gatewayConfig(weather.match[1], port));
    const cli = join(root, "cli", "dist", "main.js");
    const gateway = spawn(process.execPath, [cli, "serve", "--config", configPath, "--log-level", "warn"], {
      cwd: scratch,
      stdio: ["ignore", "inherit", "inherit"],
    });
    children.push(gateway);
    await waitFor200(`http://127.0.0.1:${port}/readyz`);
    const url = `http://127.0.0.1:${port}/mcp`;
    const version = execFileSync(node, ["--version"], { encoding: "utf8" }).trim();
    console.log(`== Inspector ${inspectorVersion} on Node ${version}: tools/list through ${url}`);
    const inspect = (args) => runInspector(node, launcher, [url, "--transport", "http", ...args], scratch);
    await listWithKey(inspect);
    await refusedWithoutKey(inspect);
  } finally {
    for (const child of children) child.kill("SIGTERM");
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((error) => fail(error instanceof Error ? error.message : String(error)));
