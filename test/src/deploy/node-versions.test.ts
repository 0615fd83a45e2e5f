import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, realpathSync } from "node:fs";
import { delimiter, resolve, sep } from "node:path";
import { minVersion, satisfies, subset } from "semver";
import { pinnedNode, pinnedNodeVersion } from "../support/node-binary";

// Which Node runs what. `npm test` runs jest on the Node that runs npm (Node 20 on our machines); CI runs the suite a
// second time on the pinned current LTS (Node 24), and the conformance suite and the Inspector on the pinned Node 22,
// both installed into .tools/ by `npm run node:install` (never into node_modules: a package with a `node` bin there
// lands in node_modules/.bin, first on PATH in every npm script, and silently replaced the Node of `npm test`).
const ROOT = resolve(__dirname, "..", "..", "..");

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(resolve(ROOT, file), "utf8")) as Record<string, unknown>;
}

const rootPackage = readJson("package.json") as { workspaces: string[]; engines?: { node?: string } };
const workspaceDirs = rootPackage.workspaces.flatMap((pattern) => {
  if (!pattern.endsWith("/*")) return [pattern];
  const parent = pattern.slice(0, -2);
  return readdirSync(resolve(ROOT, parent))
    .filter((name) => existsSync(resolve(ROOT, parent, name, "package.json")))
    .map((name) => `${parent}/${name}`);
});
const lockedPackages = Object.entries(
  (readJson("package-lock.json") as { packages: Record<string, LockEntry> }).packages,
);

interface LockEntry {
  bin?: Record<string, string>;
  engines?: { node?: string } | string[];
  link?: boolean;
}

/**
 * `command -v node` and npm's own Node (`npm_node_execpath`), both as one npm-run script sees them in `cwd`. npm starts
 * from this PATH minus npm's own additions (node_modules/.bin), as from a shell, whatever launched the tests.
 */
function nodesOfAnNpmScript(cwd: string): { onPath: string; npmOwn: string } {
  const shellPath = (process.env["PATH"] ?? "")
    .split(delimiter)
    .filter((dir) => !dir.endsWith(`${sep}node_modules${sep}.bin`) && !dir.includes(`${sep}node-gyp-bin`))
    .join(delimiter);
  const script = 'command -v node; echo "$npm_node_execpath"';
  const env = { ...process.env, PATH: shellPath };
  const out = execFileSync("npm", ["exec", "--yes=false", "-c", script], {
    cwd,
    env,
    encoding: "utf8",
    timeout: 60_000,
  });
  const [onPath = "", npmOwn = ""] = out.trim().split("\n");
  return { onPath: realpathSync(onPath), npmOwn: realpathSync(npmOwn) };
}

describe("the Node that npm scripts run", () => {
  it.each([".", "test"])("is npm's own Node in %s (no node binary in node_modules/.bin)", (dir) => {
    const { onPath, npmOwn } = nodesOfAnNpmScript(resolve(ROOT, dir));
    expect(onPath).toBe(npmOwn);
  });

  it("comes from no locked package (none provides a `node` bin)", () => {
    const providers = lockedPackages.filter(([, entry]) => entry.bin?.["node"] !== undefined).map(([path]) => path);
    expect(providers).toEqual([]);
  });
});

describe("engines", () => {
  const range = rootPackage.engines?.node ?? "";

  it("the root package.json names a minimum Node", () => {
    expect(minVersion(range)?.major).toBeGreaterThanOrEqual(20);
  });

  it.each(workspaceDirs)("%s says the same", (workspace) => {
    const own = readJson(`${workspace}/package.json`) as { engines?: { node?: string } };
    expect(own.engines?.node).toBe(range);
  });

  it("admits only Node releases every locked dependency supports", () => {
    const narrower = lockedPackages
      .map(([path, entry]) => [path, Array.isArray(entry.engines) ? undefined : entry.engines?.node] as const)
      .filter(([path, node]) => path !== "" && node !== undefined && !subset(range, node))
      .map(([path, node]) => `${path}: ${node}`);
    expect(narrower).toEqual([]);
  });

  it.each(["22", "24"] as const)("admits the pinned Node %s", (major) => {
    expect(satisfies(pinnedNodeVersion(major), range)).toBe(true);
  });
});

describe("the pinned Node releases in .tools (`npm run node:install -- <major>`)", () => {
  it.each(["22", "24"] as const)("Node %s is installed and reports its pinned version", (major) => {
    const version = execFileSync(pinnedNode(major), ["--version"], { encoding: "utf8", timeout: 30_000 });
    expect(version.trim()).toBe(`v${pinnedNodeVersion(major)}`);
  });

  it("Node 24 (the current LTS) runs the built CLI", () => {
    const cli = resolve(ROOT, "cli", "dist", "main.js");
    const out = execFileSync(pinnedNode("24"), [cli, "--version"], { encoding: "utf8", timeout: 30_000 });
    expect(out).toMatch(/^mcp-gateway \d+\.\d+\.\d+/);
  });
});
