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

  it("prints a command's usage with help <command>", async () => {
    expect(await run(["help", "validate"])).toEqual({ code: 0, out: `${COMMANDS["validate"]?.usage}\n`, err: "" });
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
    [["validate"], 2, "mcp-gateway validate: missing <config>"],
    [["envoy", "--config", "/nonexistent/gateway.yaml"], 1, "ENOENT"],
  ])("rejects %j with exit code %i", async (argv, code, message) => {
    const result = await run(argv);
    expect(result.code).toBe(code);
    expect(result.err).toContain(message);
  });
});

// A mistake on the command line is an error naming it (exit 2), never ignored: nothing runs, nothing is printed.
describe("mcp-gateway command-line mistakes", () => {
  const config = resolve(ROOT, "examples/gateway.yaml");
  it.each([
    [["render-envoy", config, "--otu", "x.yaml"], "mcp-gateway render-envoy: Unknown option '--otu'"],
    [["validate", "--strict", config], "mcp-gateway validate: Unknown option '--strict'"],
    [["serve", "--config", config, "--frob"], "mcp-gateway serve: Unknown option '--frob'"],
    [["--frob"], "mcp-gateway: Unknown option '--frob'"],
    [["serve", config], `mcp-gateway serve: unexpected argument ${JSON.stringify(config)}`],
    [["render-envoy", config, "b.yaml", "c.yaml"], 'mcp-gateway render-envoy: unexpected arguments "b.yaml" "c.yaml"'],
    [["hash-key", "k1", "k2"], 'mcp-gateway hash-key: unexpected argument "k2"'],
    [["render-envoy", config, "--out"], "mcp-gateway render-envoy: Option '--out <value>' argument missing"],
    [["hash-key", "--generate=yes"], "mcp-gateway hash-key: Option '--generate' does not take an argument"],
    [["render-envoy"], "mcp-gateway render-envoy: missing <config>"],
  ])("refuses %j with exit code 2", async (argv, message) => {
    const { code, out, err } = await run(argv);
    expect([code, out]).toEqual([2, ""]);
    expect(err).toContain(message);
    expect(err).toContain(`Run \`mcp-gateway ${argv[0]?.startsWith("-") ? "" : `${argv[0]} `}--help\` for usage.`);
  });

  it.each([[], ...Object.keys(COMMANDS).map((name) => [name])].map((cmd) => ({ cmd })))(
    "prints the version with $cmd --version",
    async ({ cmd }) => {
      const { version } = JSON.parse(await readFile(resolve(ROOT, "cli/package.json"), "utf8")) as { version: string };
      const { code, out } = await run([...cmd, "--version"]);
      expect([code, out]).toEqual([0, `mcp-gateway ${version}\n`]);
    },
  );
});

describe("mcp-gateway validate", () => {
  it("checks every file it is given and reports each", async () => {
    const broken = join(dir, "bad-url.yaml");
    await writeFile(broken, "version: 1\nauth: none\nservers: [{ name: a, url: not-a-url }]\n");
    const example = resolve(ROOT, "examples/gateway.yaml");
    const { code, out, err } = await run(["validate", example, broken, example]);
    expect(code).toBe(1);
    expect(out).toBe(
      `${[example, example].map((p) => `valid: ${p} (4 servers: weather, notes, everything, calendar)\n`).join("")}`,
    );
    expect(err).toBe(`invalid: ${broken}\n  servers[0].url: expected an http(s) URL\n`);
  });

  it("accepts a config with no servers and says so", async () => {
    const empty = join(dir, "no-servers.yaml");
    await writeFile(empty, "version: 1\nauth: none\nservers: []\n");
    expect(await run(["validate", empty])).toMatchObject({ code: 0, out: `valid: ${empty} (no servers)\n`, err: "" });
  });

  // validate and serve share one validation: what serve cannot bind, validate refuses, by the field's YAML path.
  it.each([
    ["standalone", "listen", "127.0.0.1:99999"],
    ["broker", "listen", "127.0.0.1:65536"],
    ["router", "metricsListen", "localhost:70000"],
  ])("refuses %s.%s: %s in validate and in serve alike", async (section, field, value) => {
    const path = join(dir, `${section}-port.yaml`);
    await writeFile(
      path,
      `version: 1\nauth: none\nservers:\n  - { name: a, url: "http://127.0.0.1:9/mcp" }\n${section}: { ${field}: "${value}" }\n`,
    );
    const problem = `${section}.${field}: expected "host:port" with a port from 0 to 65535, got "${value}"`;
    const validate = await run(["validate", path]);
    expect(validate.code).toBe(1);
    expect(validate.err).toContain(problem);
    const serve = await run(["serve", "--config", path, "--log-level", "error"]);
    expect(serve.code).toBe(1);
    expect(serve.err).toContain(problem);
  });

  it("warns about prefixes that can make names collide, and still accepts the config", async () => {
    const path = join(dir, "prefixes.yaml");
    await writeFile(
      path,
      `version: 1\nauth: none\nservers:\n  - { name: weather, url: "http://127.0.0.1:9/mcp" }\n  - { name: plain, url: "http://127.0.0.1:8/mcp", prefix: "" }\n`,
    );
    const { code, err } = await run(["validate", path]);
    expect(code).toBe(0);
    expect(err).toBe(
      `warning: ${path}: servers[1].prefix: "plain" has no prefix, so a tool or prompt of it named "weather_…" meets one of "weather" (prefix "weather_") at /mcp; the earlier server keeps the name and the other's is refused at every endpoint\n`,
    );
  });

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

describe("mcp-gateway schema", () => {
  it("prints the config's JSON Schema, the committed schema/gateway.schema.json", async () => {
    const { code, out, err } = await run(["schema"]);
    const committed: unknown = JSON.parse(await readFile(resolve(ROOT, "schema/gateway.schema.json"), "utf8"));
    expect([code, err]).toEqual([0, ""]);
    expect(JSON.parse(out)).toEqual(committed);
  });

  it("refuses arguments (it prints, it writes no file)", async () => {
    const { code, err } = await run(["schema", "gateway.schema.json"]);
    expect(code).toBe(2);
    expect(err).toContain('unexpected argument "gateway.schema.json"');
  });
});
