import { execFile, spawn, type ChildProcess } from "node:child_process";
import {
  accessSync,
  constants,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import ts from "typescript";
import { pollUntil, withDeadline } from "../support/bounded-wait";
import { cliWorkspaces, installOffline, packWorkspaces, ROOT, writeProject } from "./packed-install";

// `mcp-gateway` must run the way an operator reaches for it: `npx mcp-gateway` in the clone after `npm ci && npm run
// build`, and as an installed package (packed with `npm pack`, installed into a clean folder) with every dependency
// it uses declared.
const run = promisify(execFile);
const VERSION = (JSON.parse(readFileSync(resolve(ROOT, "cli/package.json"), "utf8")) as { version: string }).version;

/** The packages a workspace's shipped code (`src`, tests excluded) imports, by package name. */
function runtimeImports(folder: string): string[] {
  const files = readdirSync(resolve(ROOT, folder, "src"), { recursive: true, encoding: "utf8" }).filter(
    (file) => file.endsWith(".ts") && !file.endsWith(".test.ts"),
  );
  const specifiers = files.flatMap((file) =>
    ts
      .preProcessFile(readFileSync(resolve(ROOT, folder, "src", file), "utf8"), true, true)
      .importedFiles.map((imported) => imported.fileName),
  );
  const packages = specifiers
    .filter((specifier) => !specifier.startsWith(".") && !specifier.startsWith("node:"))
    .filter((specifier) => !builtinModules.includes(specifier))
    .map((specifier) =>
      specifier
        .split("/")
        .slice(0, specifier.startsWith("@") ? 2 : 1)
        .join("/"),
    );
  return [...new Set(packages)].sort();
}

/** Every module specifier `source` imports: static and dynamic `import`, `export … from`, `require("…")` calls. */
function moduleSpecifiers(source: ts.SourceFile): string[] {
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      if (ts.isStringLiteral(node.moduleSpecifier)) found.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node)) {
      const [first] = node.arguments;
      const isImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(node.expression) && node.expression.text === "require";
      if ((isImport || isRequire) && first && ts.isStringLiteralLike(first)) found.push(first.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The bare module specifiers a browser bundle's JavaScript still imports (a self-contained bundle has none). */
function bareImportsOfBundle(folder: string): string[] {
  const files = readdirSync(resolve(ROOT, folder, "dist"), { recursive: true, encoding: "utf8" }).filter((file) =>
    file.endsWith(".js"),
  );
  const specifiers = files.flatMap((file) => {
    const text = readFileSync(resolve(ROOT, folder, "dist", file), "utf8");
    return moduleSpecifiers(ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.JS));
  });
  return specifiers.filter((specifier) => !/^(\.{1,2}\/|\/|https?:|data:)/.test(specifier));
}

interface WorkspaceManifest {
  main?: string;
  dependencies?: Record<string, string>;
}

describe("the mcp-gateway package", () => {
  it.each(cliWorkspaces())("%s declares every package its code imports", (folder) => {
    const manifest = JSON.parse(readFileSync(resolve(ROOT, folder, "package.json"), "utf8")) as WorkspaceManifest;
    // A workspace without `main` is not loaded by Node: it ships a browser bundle (the console) built at build time,
    // which must need no package at run time.
    if (manifest.main === undefined) return expect(bareImportsOfBundle(folder)).toEqual([]);
    const declared = Object.keys(manifest.dependencies ?? {});
    expect(runtimeImports(folder).filter((name) => !declared.includes(name))).toEqual([]);
  });

  it("finds a bundle's imports and requires, not strings that look like them (the bundle check is not vacuous)", () => {
    const code = `import "a"; import b from "b"; export * from "c"; import("d"); require("e"); x.code = 'require("f")';`;
    const source = ts.createSourceFile("x.js", code, ts.ScriptTarget.Latest, false, ts.ScriptKind.JS);
    expect(moduleSpecifiers(source)).toEqual(["a", "b", "c", "d", "e"]);
  });

  it("cli needs core, router, broker and controller (the check above is not vacuous)", () => {
    expect(runtimeImports("cli")).toEqual([
      "@mcp-gateway/broker",
      "@mcp-gateway/controller",
      "@mcp-gateway/core",
      "@mcp-gateway/router",
    ]);
  });

  it("runs as `npx mcp-gateway` in the clone (npm ci linked the committed, executable bin)", async () => {
    const bin = resolve(ROOT, "node_modules/.bin/mcp-gateway");
    expect(realpathSync(bin)).toBe(resolve(ROOT, "cli/bin/mcp-gateway.mjs"));
    expect(() => accessSync(bin, constants.X_OK)).not.toThrow();
    const { stdout } = await run("npx", ["--no-install", "mcp-gateway", "--version"], { cwd: ROOT });
    expect(stdout).toBe(`mcp-gateway ${VERSION}\n`);
  });
});

describe("mcp-gateway packed and installed into a clean folder", () => {
  let dir: string;
  let bin: string;
  let gateway: ChildProcess | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "mcp-gateway-install-"));
    const packs = join(dir, "packs");
    const project = join(dir, "project");
    for (const sub of [packs, project]) mkdirSync(sub);
    writeProject(project, await packWorkspaces(cliWorkspaces(), packs));
    await installOffline(project);
    bin = join(project, "node_modules/.bin/mcp-gateway");
  }, 60_000);

  afterAll(() => {
    gateway?.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("prints its help", async () => {
    const { stdout } = await run(bin, ["--help"]);
    expect(stdout).toMatch(/^Usage: mcp-gateway <command>/);
    expect(stdout).toContain("  serve ");
  });

  it("prints its version", async () => {
    expect((await run(bin, ["--version"])).stdout).toBe(`mcp-gateway ${VERSION}\n`);
  });

  /** Starts the installed `mcp-gateway <command>` on `yaml`, waits for `announced` in its output; returns the match. */
  async function startInstalled(command: string, yaml: string, announced: RegExp): Promise<RegExpExecArray> {
    const config = join(dir, `${command}.yaml`);
    writeFileSync(config, yaml);
    const child = spawn(bin, [command, "--config", config], { stdio: ["ignore", "pipe", "pipe"] });
    gateway = child;
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => void (out += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => void (err += chunk.toString()));
    await pollUntil(() => announced.test(out) || child.exitCode !== null, 20_000);
    const match = announced.exec(out);
    if (!match) throw new Error(`mcp-gateway ${command} did not start (exit ${String(child.exitCode)}):\n${err}`);
    return match;
  }

  async function stopInstalled(command: string): Promise<void> {
    const child = gateway;
    if (!child) return;
    const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
    child.kill("SIGTERM");
    expect(await withDeadline(exited, 10_000, `mcp-gateway ${command} to exit on SIGTERM`)).toBe(0);
    gateway = undefined;
  }

  // Never reached: these checks are the processes' own liveness.
  const upstream = "version: 1\nservers:\n  - name: a\n    url: http://127.0.0.1:9/mcp\nauth: none\n";

  it("serves a config on a free port: /healthz answers, SIGTERM stops it", async () => {
    const listening = await startInstalled(
      "serve",
      `${upstream}standalone:\n  listen: 127.0.0.1:0\n`,
      /gateway listening on (http:\/\/127\.0\.0\.1:\d+)\/mcp/,
    );
    const response = await fetch(`${listening[1] ?? ""}/healthz`);
    expect(response.status).toBe(200);
    await stopInstalled("serve");
  }, 40_000);

  it("runs Envoy mode (router + broker) from the package: the ext_proc service loads without protos/gen", async () => {
    const listening = await startInstalled(
      "envoy",
      `${upstream}router:\n  listen: 127.0.0.1:0\nbroker:\n  listen: 127.0.0.1:0\n`,
      /broker listening on (http:\/\/127\.0\.0\.1:\d+)\/mcp/,
    );
    expect((await fetch(`${listening[1] ?? ""}/healthz`)).status).toBe(200);
    await stopInstalled("envoy");
  }, 40_000);
});
