import { ConfigError, parseConfig } from "./load";

const HEAD = "version: 1\nauth: none\n";

function issuesOf(text: string): readonly string[] {
  try {
    parseConfig(text, {});
  } catch (error: unknown) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("stdio servers in the config", () => {
  it("gives a stdio server the bridge's URL and keeps its command, args, env, cwd and mode", () => {
    const config = parseConfig(
      `${HEAD}stdioBridge: { listen: "127.0.0.1:7001" }
servers:
  - { name: mem, command: npx, args: [server-memory], env: { MEMORY_FILE_PATH: /tmp/m.json }, cwd: /tmp,
      stdio: { instances: perSession, maxInstances: 3 } }
  - { name: web, url: "http://127.0.0.1:9/mcp" }
`,
      {},
    );
    expect(config.servers[0]).toMatchObject({
      url: "http://127.0.0.1:7001/stdio/mem/mcp",
      command: "npx",
      args: ["server-memory"],
      env: { MEMORY_FILE_PATH: "/tmp/m.json" },
      cwd: "/tmp",
      stdio: { instances: "perSession", maxInstances: 3, initialBackoff: 250, maxBackoff: 30_000 },
    });
    expect(config.servers[1]?.url).toBe("http://127.0.0.1:9/mcp");
  });

  it("defaults the bridge to 127.0.0.1:8082 and reads a wildcard listen address as loopback", () => {
    expect(parseConfig(`${HEAD}servers: [{ name: a, command: x }]\n`, {}).servers[0]?.url).toBe(
      "http://127.0.0.1:8082/stdio/a/mcp",
    );
    const wildcard = `${HEAD}stdioBridge: { listen: "0.0.0.0:7002" }\nservers: [{ name: a, command: x }]\n`;
    expect(parseConfig(wildcard, {}).servers[0]?.url).toBe("http://127.0.0.1:7002/stdio/a/mcp");
  });

  it.each<[what: string, server: string, issue: string]>([
    [
      "both url and command",
      '{ name: a, url: "http://h/mcp", command: x }',
      "servers[0].command: url and command exclude each other: a server is reached at a URL or spawned from a command",
    ],
    [
      "neither url nor command",
      "{ name: a }",
      "servers[0].url: expected url (an HTTP upstream) or command (a stdio server the gateway spawns)",
    ],
    [
      "args without command",
      '{ name: a, url: "http://h/mcp", args: [x] }',
      "servers[0].args: only for a stdio server (one with command)",
    ],
    [
      "headers on a stdio server",
      "{ name: a, command: x, headers: { authorization: y } }",
      "servers[0].headers: only for an HTTP upstream (url); pass a stdio server env",
    ],
    ["an empty command", '{ name: a, command: "" }', "servers[0].command: expected an executable name or path"],
    [
      "a bad env name",
      '{ name: a, command: x, env: { "A-B": y } }',
      "servers[0].env.A-B: expected an environment variable name",
    ],
    ["an unknown mode", "{ name: a, command: x, stdio: { instances: many } }", "servers[0].stdio.instances"],
  ])("refuses %s, naming the field", (_what, server, issue) => {
    expect(issuesOf(`${HEAD}servers: [${server}]\n`).join("\n")).toContain(issue);
  });

  it("refuses a bridge on port 0 when a stdio server needs its address", () => {
    expect(issuesOf(`${HEAD}stdioBridge: { listen: "127.0.0.1:0" }\nservers: [{ name: a, command: x }]\n`)).toEqual([
      "stdioBridge.listen: expected a fixed port: stdio servers are reached (and rendered for Envoy) at the bridge's address",
    ]);
  });
});
