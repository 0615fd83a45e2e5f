#!/usr/bin/env node
// Adds the lock entries of other platforms' optional binaries (e.g. @bufbuild/buf-darwin-arm64) to package-lock.json.
// The npm on our machines writes a lockfile with only the current platform's binaries, and then `npm ci` refuses that
// very lockfile ("Missing: … from lock file"; npm/cli#4828, #8320). Each added entry carries the registry's own
// metadata (version, integrity, os, cpu, libc) and `optional: true`, so every platform installs only its own binary.
// Run it after changing dependencies: `npm install && node scripts/complete-lockfile.mjs`. It is idempotent.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";

const lockPath = resolve(process.argv[2] ?? "package-lock.json");
const lock = JSON.parse(readFileSync(lockPath, "utf8"));
const packages = lock.packages;

const OS_TOKENS = [
  "darwin",
  "linux",
  "win32",
  "android",
  "freebsd",
  "openbsd",
  "netbsd",
  "sunos",
  "aix",
  "openharmony",
];
/** Short OS names some packages use (`@node-llama-cpp/mac-arm64-metal`, `@node-llama-cpp/win-x64`). */
const OS_ALIASES = { mac: "darwin", win: "win32" };
const CPU_TOKENS = {
  arm64: "arm64",
  aarch64: "arm64",
  x64: "x64",
  ia32: "ia32",
  armv7: "arm",
  arm: "arm",
  loong64: "loong64",
  ppc64: "ppc64",
  riscv64: "riscv64",
  s390x: "s390x",
};

/** os/cpu/libc from a platform-suffixed package name such as `@unrs/resolver-binding-linux-arm64-musl`. */
function platformFromName(name) {
  const tokens = name.split("/").pop().split("-");
  const os = tokens.map((t) => OS_ALIASES[t] ?? t).find((t) => OS_TOKENS.includes(t));
  const cpu = tokens.map((t) => CPU_TOKENS[t]).find(Boolean);
  if (!os || !cpu) throw new Error(`complete-lockfile: cannot tell the platform of ${name}; add its entry by hand`);
  const libc = tokens.includes("musl") ? ["musl"] : tokens.includes("gnu") && os === "linux" ? ["glibc"] : undefined;
  return { os: [os], cpu: [cpu], ...(libc ? { libc } : {}) };
}

/**
 * Registry metadata of one version (the highest matching a range). Registry mirrors that carry only the current
 * platform's binaries answer 404 for the others; then the version is the range's and the platform is read from the
 * name, so `npm ci` can skip the entry on every platform it does not fit.
 */
function view(name, range) {
  try {
    const out = execFileSync("npm", ["view", `${name}@${range}`, "--json"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    const parsed = JSON.parse(out);
    return Array.isArray(parsed) ? parsed[parsed.length - 1] : parsed;
  } catch {
    if (!/^\d+\.\d+\.\d+/.test(range))
      throw new Error(`complete-lockfile: ${name}@${range} is not in the registry and not an exact version`);
    return { version: range, ...platformFromName(name) };
  }
}

/** Where npm would place `name` for a dependent at `parentPath`: hoisted unless that slot is taken. */
function placement(parentPath, name) {
  const top = `node_modules/${name}`;
  if (!packages[top]) return top;
  return parentPath === "" ? top : `${parentPath}/node_modules/${name}`;
}

function entryFor(meta, dev) {
  const entry = { version: meta.version };
  if (meta.dist?.integrity) entry.integrity = meta.dist.integrity;
  for (const field of ["cpu", "os", "libc"]) if (meta[field]) entry[field] = meta[field];
  if (dev) entry.dev = true;
  if (meta.engines) entry.engines = meta.engines;
  if (meta.license) entry.license = meta.license;
  entry.optional = true;
  return entry;
}

let added = 0;
for (const [path, pkg] of Object.entries(packages)) {
  for (const [name, range] of Object.entries(pkg.optionalDependencies ?? {})) {
    const nested = path === "" ? `node_modules/${name}` : `${path}/node_modules/${name}`;
    if (packages[nested] || packages[`node_modules/${name}`]) continue;
    const meta = view(name, range);
    if (!meta.os && !meta.cpu) continue; // not a platform binary: npm records those itself
    packages[placement(path, name)] = entryFor(meta, pkg.dev === true);
    added += 1;
  }
}

lock.packages = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b))),
);
writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`complete-lockfile: added ${added} optional platform entries to ${lockPath}`);
