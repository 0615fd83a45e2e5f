import { readFileSync } from "node:fs";
import { resolve } from "node:path";

// npm 11 blocks dependencies' install scripts unless the root package.json's `allowScripts` decides them, and warns
// on every install about each undecided one. The lockfile marks every package that has one (`hasInstallScript`), so
// each of those must have a decision (true or false) in `allowScripts`: a clean `npm ci` then prints no warning.
const ROOT = resolve(__dirname, "..", "..", "..");

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(resolve(ROOT, file), "utf8")) as Record<string, unknown>;
}

/** The names of the locked dependencies that have install scripts (the root project's own scripts excluded). */
function packagesWithInstallScripts(): string[] {
  const lock = readJson("package-lock.json") as { packages: Record<string, { hasInstallScript?: boolean }> };
  return Object.entries(lock.packages)
    .filter(([path, entry]) => path !== "" && entry.hasInstallScript === true)
    .map(([path]) => path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length));
}

describe("install scripts of dependencies", () => {
  const allowScripts = (readJson("package.json").allowScripts ?? {}) as Record<string, unknown>;
  const decided = new Set(Object.keys(allowScripts).map((key) => key.replace(/(?<=.)@.*$/, "")));

  it("the lockfile lists some (the check below is not vacuous)", () => {
    expect(packagesWithInstallScripts().length).toBeGreaterThan(0);
  });

  it.each(packagesWithInstallScripts())("%s is approved or denied in package.json allowScripts", (name) => {
    expect(decided).toContain(name);
  });
});
