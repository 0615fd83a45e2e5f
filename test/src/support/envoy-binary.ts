import { execFileSync } from "node:child_process";
import { accessSync, constants, readFileSync } from "node:fs";
import { delimiter, join, resolve } from "node:path";

/** The repository root (test/{src,dist}/support → ../../..). */
const REPO_ROOT = resolve(__dirname, "..", "..", "..");

/** An Envoy binary the tests run, and what it says it is. */
export interface EnvoyBinary {
  path: string;
  /** The release, e.g. `1.40.0`. */
  version: string;
  /** Where it was found: `ENVOY_BIN`, the repo's install folder, or `PATH`. */
  source: "ENVOY_BIN" | ".tools" | "PATH";
}

/** The Envoy release the project is tested with: package.json `config.envoyVersion`, its only home. */
export function pinnedEnvoyVersion(): string {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as {
    config?: { envoyVersion?: unknown };
  };
  const version = pkg.config?.envoyVersion;
  if (typeof version !== "string") throw new Error("package.json config.envoyVersion is missing");
  return version;
}

/** Where `npm run envoy:install` puts the pinned binary (kept in step with scripts/install-envoy.mjs). */
export function installedEnvoyPath(version = pinnedEnvoyVersion()): string {
  return join(REPO_ROOT, ".tools", "envoy", version, "envoy", "_bin", "envoy");
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string, pathVariable: string): string | undefined {
  const dirs = pathVariable.split(delimiter).filter((d) => d !== "");
  return dirs.map((dir) => join(dir, name)).find(executable);
}

/**
 * Where Envoy is, by precedence: `ENVOY_BIN` (taken as given), the repo's install folder, `envoy` on `PATH`;
 * undefined when none exists.
 */
export function locateEnvoy(
  env: Readonly<Record<string, string | undefined>>,
  installedPath: string,
): { path: string; source: EnvoyBinary["source"] } | undefined {
  const fromEnv = env["ENVOY_BIN"];
  if (fromEnv) return { path: fromEnv, source: "ENVOY_BIN" };
  if (executable(installedPath)) return { path: installedPath, source: ".tools" };
  const fromPath = onPath("envoy", env["PATH"] ?? "");
  return fromPath ? { path: fromPath, source: "PATH" } : undefined;
}

/** The error every Envoy-mode test fails with on a machine without Envoy (in CI as anywhere: never a skip). */
export function missingEnvoyError(version: string): Error {
  return new Error(
    `no Envoy binary: run \`npm run envoy:install\` (installs Envoy ${version} into .tools/), ` +
      "or set ENVOY_BIN, or put envoy on PATH",
  );
}

/** The release an Envoy binary reports: `envoy --version` prints `…/<release>/Clean/RELEASE/BoringSSL`. */
export function envoyVersionOf(path: string): string {
  const line = execFileSync(path, ["--version"], { encoding: "utf8", timeout: 10_000 });
  const version = /\/(\d+\.\d+\.\d+)\//.exec(line)?.[1];
  if (!version) throw new Error(`${path} --version printed no release: ${line.trim()}`);
  return version;
}

let cached: EnvoyBinary | undefined;

/**
 * Finds Envoy (see `locateEnvoy`) and asks its version, once per process. Throws when there is none, so every
 * Envoy-mode test fails (never skips) on a machine without Envoy.
 */
export function envoyBinary(): EnvoyBinary {
  if (cached) return cached;
  const found = locateEnvoy(process.env, installedEnvoyPath());
  if (!found) throw missingEnvoyError(pinnedEnvoyVersion());
  if (!executable(found.path)) throw new Error(`${found.source} names ${found.path}, which is not an executable file`);
  cached = { ...found, version: envoyVersionOf(found.path) };
  return cached;
}
