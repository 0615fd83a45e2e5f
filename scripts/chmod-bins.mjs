#!/usr/bin/env node
// Makes every workspace package's `bin` files executable after `tsc` wrote them. `npm ci` links
// node_modules/.bin/mcp-gateway to cli/dist/main.js before that file exists, so npm cannot set its mode, and tsc
// writes new files 0644: `npx mcp-gateway` in a fresh clone then failed with "Permission denied". Runs after every build.
import { chmodSync, existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const { workspaces } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));

for (const workspace of workspaces.filter((entry) => !entry.includes("*"))) {
  const manifest = join(root, workspace, "package.json");
  if (!existsSync(manifest)) continue;
  const { bin } = JSON.parse(readFileSync(manifest, "utf8"));
  const targets = typeof bin === "string" ? [bin] : Object.values(bin ?? {});
  for (const target of targets) {
    const file = join(root, workspace, target);
    if (existsSync(file)) chmodSync(file, 0o755);
    else console.warn(`chmod-bins: ${workspace}: bin ${target} not built`);
  }
}
