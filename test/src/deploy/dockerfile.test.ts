import { existsSync, readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";

// The Dockerfile is not built here (no Docker engine); these checks keep it consistent with the repository.
const ROOT = resolve(__dirname, "..", "..", "..");

interface Stage {
  from: string;
  instructions: string[];
}

/** Splits a Dockerfile into stages of instructions (continuation lines joined, comments dropped). */
function stages(text: string): Stage[] {
  const lines = text
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  const result: Stage[] = [];
  for (const line of lines) {
    if (/^FROM\s/i.test(line)) result.push({ from: line, instructions: [] });
    else result.at(-1)?.instructions.push(line);
  }
  return result;
}

const dockerfile = stages(readFileSync(resolve(ROOT, "Dockerfile"), "utf8"));
const runtime = dockerfile.at(-1) as Stage;
const rootPackage = JSON.parse(readFileSync(resolve(ROOT, "package.json"), "utf8")) as {
  workspaces: string[];
  config: { nodeVersions: Record<string, string> };
};
const workspaces = rootPackage.workspaces;
// The current LTS: the newest major package.json config.nodeVersions pins (CI runs the test suite on it too).
const ltsMajor = Math.max(...Object.keys(rootPackage.config.nodeVersions).map(Number));
const workspaceDirs = workspaces.flatMap((pattern) => {
  if (!pattern.endsWith("/*")) return [pattern];
  const parent = pattern.slice(0, -2);
  return readdirSync(resolve(ROOT, parent))
    .filter((name) => existsSync(resolve(ROOT, parent, name, "package.json")))
    .map((name) => `${parent}/${name}`);
});

describe("Dockerfile", () => {
  it("is multi-stage on the current LTS (the newest pinned Node major)", () => {
    expect(ltsMajor).toBeGreaterThanOrEqual(24);
    expect(dockerfile.length).toBeGreaterThanOrEqual(2);
    for (const stage of dockerfile)
      expect(stage.from).toMatch(new RegExp(`^FROM node:${ltsMajor}-[a-z]+-slim AS \\w+$`));
  });

  it("runs as a non-root user", () => {
    const user = runtime.instructions.filter((i) => i.startsWith("USER ")).at(-1);
    expect(user).toBeDefined();
    expect(user).not.toMatch(/USER (root|0)\b/);
  });

  it("installs production dependencies only in the runtime stage", () => {
    const installs = runtime.instructions.filter((i) => /npm (ci|install)/.test(i));
    expect(installs).toHaveLength(1);
    expect(installs[0]).toContain("--omit=dev");
  });

  it("copies every workspace's package.json into both stages (npm ci needs them all)", () => {
    for (const stage of dockerfile) {
      const copied = stage.instructions.filter((i) => i.startsWith("COPY")).join("\n");
      for (const dir of workspaceDirs) expect(copied).toContain(`${dir}/package.json`);
    }
  });

  it("copies only paths that exist in the repository", () => {
    const sources = dockerfile
      .flatMap((s) => s.instructions)
      .filter((i) => i.startsWith("COPY ") && !i.includes("--from="))
      .flatMap((i) => i.split(/\s+/).slice(1, -1));
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) expect(existsSync(resolve(ROOT, source))).toBe(true);
  });
});
