import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The repository root. */
export const ROOT = resolve(__dirname, "..", "..", "..");

interface Manifest {
  name: string;
  version: string;
  license?: string;
  bin?: unknown;
  dependencies?: Record<string, string>;
  allowScripts?: Record<string, boolean>;
}

interface LockEntry {
  link?: boolean;
  [field: string]: unknown;
}

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(resolve(ROOT, file), "utf8")) as T;
}

/** The workspace folders whose packages `cli` needs at run time (itself included), found through its dependencies. */
export function cliWorkspaces(): string[] {
  const folderOf = new Map<string, string>();
  for (const folder of readJson<{ workspaces: string[] }>("package.json").workspaces) {
    if (!folder.includes("*")) folderOf.set(readJson<Manifest>(`${folder}/package.json`).name, folder);
  }
  const needed = new Set<string>();
  const visit = (folder: string): void => {
    if (needed.has(folder)) return;
    needed.add(folder);
    for (const name of Object.keys(readJson<Manifest>(`${folder}/package.json`).dependencies ?? {})) {
      const dependency = folderOf.get(name);
      if (dependency) visit(dependency);
    }
  };
  visit("cli");
  return [...needed];
}

/** `npm pack`s the workspace folders into `dir`; returns each folder's tarball path. */
export async function packWorkspaces(folders: readonly string[], dir: string): Promise<Map<string, string>> {
  const args = ["pack", "--json", "--pack-destination", dir, ...folders.flatMap((folder) => ["-w", folder])];
  const { stdout } = await run("npm", args, { cwd: ROOT });
  const packed = JSON.parse(stdout) as { name: string; filename: string }[];
  return new Map(
    folders.map((folder) => {
      const { name } = readJson<Manifest>(`${folder}/package.json`);
      const entry = packed.find((item) => item.name === name);
      if (!entry) throw new Error(`npm pack made no tarball for ${name}`);
      return [folder, join(dir, entry.filename)];
    }),
  );
}

/**
 * Writes a project into `dir` that depends on the packed CLI alone, with a lockfile so `npm install --offline` needs
 * no registry. The workspace packages are private (never published), so the lockfile plays the registry: the packed
 * tarballs for them, and for every other package the version and integrity the repository's own lockfile pins, which
 * npm's cache holds after `npm ci`. npm prunes every entry no declared dependency reaches, so a dependency the CLI
 * uses but does not declare is missing from the install, as it would be for a user.
 */
export function writeProject(dir: string, tarballs: ReadonlyMap<string, string>): void {
  const rootManifest = readJson<Manifest>("package.json");
  const lock = readJson<{ packages: Record<string, LockEntry> }>("package-lock.json");
  const cliTarball = `file:${tarballs.get("cli") ?? ""}`;
  const dependencies = { [readJson<Manifest>("cli/package.json").name]: cliTarball };
  const packages: Record<string, unknown> = { "": { name: "cli-install-check", version: "1.0.0", dependencies } };
  for (const [path, entry] of Object.entries(lock.packages)) {
    const folder = [...tarballs.keys()].find((name) => path === name || path.startsWith(`${name}/`));
    if (folder !== undefined) {
      const manifest = readJson<Manifest>(`${folder}/package.json`);
      const installed = `node_modules/${manifest.name}${path.slice(folder.length)}`;
      packages[installed] =
        path === folder
          ? { ...entry, version: manifest.version, resolved: `file:${tarballs.get(folder) ?? ""}` }
          : entry;
    } else if (path.startsWith("node_modules/") && entry.link !== true) {
      packages[path] = entry;
    }
  }
  const project = { name: "cli-install-check", version: "1.0.0", private: true, dependencies };
  // The same decisions on dependencies' install scripts as the repository's, so npm installs quietly.
  const manifest = { ...project, allowScripts: rootManifest.allowScripts ?? {} };
  writeFileSync(join(dir, "package.json"), JSON.stringify(manifest, null, 2));
  writeFileSync(
    join(dir, "package-lock.json"),
    JSON.stringify({ ...project, lockfileVersion: 3, requires: true, packages }, null, 2),
  );
}

/** Installs the project in `dir` from its lockfile and npm's cache only. */
export async function installOffline(dir: string): Promise<void> {
  await run("npm", ["install", "--offline", "--no-audit", "--no-fund", "--no-update-notifier"], {
    cwd: dir,
    timeout: 45_000,
  });
}
