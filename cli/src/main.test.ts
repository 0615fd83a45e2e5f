import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { hashApiKey, PROTOTYPE_KEYS } from "@mcp-gateway/core";
import { checkEnvoyConfig } from "@mcp-gateway/router";
import { parse } from "yaml";
import { COMMANDS } from "./commands";
import { main } from "./main";

const ROOT = resolve(__dirname, "..", "..");

/** Runs main with captured output. */
async function run(
  argv: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const result = await main(argv, env, { out: (text) => void (out += text), err: (text) => void (err += text) });
  await result.gateway?.close();
  return { code: result.code, out, err };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cli-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("mcp-gateway", () => {
  it("lists every command with --help", async () => {
    const { code, out } = await run(["--help"]);
    expect(code).toBe(0);
    for (const name of Object.keys(COMMANDS)) expect(out).toContain(`  ${name}`);
  });

  it.each(Object.keys(COMMANDS))("prints the usage of %s with --help", async (name) => {
    const { code, out } = await run([name, "--help"]);
    expect(code).toBe(0);
    expect(out).toContain(`Usage: mcp-gateway ${name}`);
  });

  // Commands are looked up by own key: a name of an Object.prototype member is no command (it once ran as one).
  it.each(
    PROTOTYPE_KEYS.flatMap((name): [string, string[]][] => [
      [name, []],
      [name, ["--help"]],
    ]),
  )("refuses %j %j as an unknown command", async (name, rest) => {
    const { code, out, err } = await run([name, ...rest]);
    expect([code, out]).toEqual([2, ""]);
    expect(err).toContain(`unknown command ${JSON.stringify(name)}`);
  });

  it.each([
    [[], 2, "Usage: mcp-gateway <command>"],
    [["frobnicate"], 2, 'unknown command "frobnicate"'],
    [["serve"], 2, "--config PATH (or MCP_GATEWAY_CONFIG) is required"],
    [["serve", "--config", "x.yaml", "--log-level", "loud"], 2, "--log-level must be debug, info, warn or error"],
    [["validate"], 2, "usage: mcp-gateway validate <config>"],
    [["envoy", "--config", "/nonexistent/gateway.yaml"], 1, "ENOENT"],
  ])("rejects %j with exit code %i", async (argv, code, message) => {
    const result = await run(argv);
    expect(result.code).toBe(code);
    expect(result.err).toContain(message);
  });
});

describe("mcp-gateway validate", () => {
  it("accepts the example config", async () => {
    const { code, out } = await run(["validate", resolve(ROOT, "examples/gateway.yaml")]);
    expect(code).toBe(0);
    expect(out).toContain("4 servers: weather, notes, everything, calendar");
  });

  it("rejects a broken config naming each problem by its YAML path", async () => {
    const path = join(dir, "broken.yaml");
    await writeFile(
      path,
      'version: 1\nauth: none\nservers:\n  - { name: a, url: "http://x/mcp" }\n  - { name: b, url: not-a-url, headers: { authorization: "${env:B_TOKEN}" } }\n',
    );
    const { code, err } = await run(["validate", path]);
    expect(code).toBe(1);
    expect(err).toContain("servers[1].headers.authorization: environment variable B_TOKEN is not set");
    const again = await run(["validate", path], { B_TOKEN: "t" });
    expect(again.code).toBe(1);
    expect(again.err).toContain("servers[1].url: expected an http(s) URL");
  });
});

describe("mcp-gateway render-envoy", () => {
  it("writes an Envoy config that keeps the gateway invariants (Envoy validates it in test/src/deploy)", async () => {
    const out = join(dir, "envoy.yaml");
    expect((await run(["render-envoy", resolve(ROOT, "examples/gateway.yaml"), "--out", out])).code).toBe(0);
    expect(checkEnvoyConfig(parse(await readFile(out, "utf8")))).toEqual([]);
  });
});

describe("mcp-gateway hash-key", () => {
  it("prints a new key once with the hash a consumer entry takes", async () => {
    const { code, out } = await run(["hash-key", "--generate"]);
    const [, key, hash] = /^key: {2}(\S+)\nhash: (\S+)\n$/.exec(out) ?? [];
    expect(code).toBe(0);
    expect(key).toMatch(/^mcpgw_[A-Za-z0-9_-]{43}$/);
    expect(hash).toBe(hashApiKey(key ?? ""));
  });

  it("hashes a key given to it", async () => {
    const { code, out } = await run(["hash-key", "mcpgw_demo_alice_weather_only"]);
    expect(code).toBe(0);
    expect(out).toBe("sha256:effb2e336c94b3c5b305f5f7d3ec94f33d6dc1ac58ab8aefaa9f98b986bbaa1e\n");
  });
});
