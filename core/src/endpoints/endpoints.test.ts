import fc from "fast-check";
import { ConfigError, parseConfig } from "../config/load";
import { AGGREGATE_ENDPOINT, resolveEndpoint, sessionBinding } from "./endpoints";

const config = parseConfig(
  `version: 1
auth: none
servers:
  - { name: weather, url: "http://127.0.0.1:1/mcp" }
  - { name: constructor, url: "http://127.0.0.1:2/mcp" }
virtualServers:
  - { name: team, tools: [{ server: weather, name: get_forecast, as: forecast }] }
  - { name: ops, path: /mcp/ops/tools, tools: [{ server: weather, name: "*" }] }
`,
  {},
);

describe("resolveEndpoint", () => {
  it.each([
    ["/mcp", "aggregate"],
    ["/mcp?x=1", "aggregate"],
    ["/mcp/weather", "server"],
    ["/mcp/constructor", "server"],
    ["/mcp/virtual/team", "virtual"],
    ["/mcp/ops/tools", "virtual"],
  ])("%s is the %s endpoint", (path, kind) => {
    expect(resolveEndpoint(config, path)?.kind).toBe(kind);
  });

  it.each([
    "/mcp/",
    "/mcp/weather/",
    "/MCP/weather",
    "/mcp/Weather",
    "/mcp/%77eather",
    "/mcp/weather%2f",
    "/mcp/x/../weather",
    "/mcp/./weather",
    "/mcp//weather",
    "/mcp/weather\t",
    "/mcp/__proto__",
    "/mcp/toString",
    "/mcp/hasOwnProperty",
    "/mcp/virtual",
    "/mcp/virtual/team/",
    "/mcp/virtual/ops",
    "/mcpweather",
    "mcp/weather",
  ])("%j is no endpoint", (path) => {
    expect(resolveEndpoint(config, path)).toBeUndefined();
  });

  it("resolves no spelling other than the exact path (property)", () => {
    const exact = new Set(["/mcp", "/mcp/weather", "/mcp/constructor", "/mcp/virtual/team", "/mcp/ops/tools"]);
    fc.assert(
      fc.property(fc.string(), (path) => {
        const found = resolveEndpoint(config, path);
        const bare = path.split("?")[0] ?? "";
        return found === undefined ? !exact.has(bare) : found.path === bare;
      }),
      { numRuns: 2000 },
    );
  });
});

describe("sessionBinding", () => {
  it("adds nothing at /mcp and the endpoint's path elsewhere", () => {
    expect(sessionBinding("alice", AGGREGATE_ENDPOINT)).toBe("alice");
    expect(sessionBinding("alice", resolveEndpoint(config, "/mcp/weather"))).toBe("alice\u0000/mcp/weather");
  });
});

describe("virtualServers config", () => {
  const parse = (virtual: string): unknown =>
    parseConfig(
      `version: 1\nauth: none\nservers:\n  - { name: weather, url: "http://127.0.0.1:1/mcp" }\nvirtualServers:\n${virtual}`,
      {},
    );
  const issues = (virtual: string): string[] => {
    try {
      parse(virtual);
      return [];
    } catch (error: unknown) {
      return error instanceof ConfigError ? [...error.issues] : [String(error)];
    }
  };

  it.each([
    ["a path taken by a server", "  - { name: a, path: /mcp/weather }", 'already the endpoint of server "weather"'],
    ["a duplicate path", "  - { name: a, path: /mcp/x }\n  - { name: b, path: /mcp/x }", "already the endpoint"],
    ["a duplicate name", "  - { name: a }\n  - { name: a, path: /mcp/y }", "defined twice"],
    ["an unknown server", "  - { name: a, tools: [{ server: nope, name: x }] }", 'no server named "nope"'],
    ["a rename of a glob", "  - { name: a, tools: [{ server: weather, name: 'get_*', as: x }] }", "not the glob"],
    ["a trailing slash", "  - { name: a, path: /mcp/x/ }", "expected /mcp/"],
    ["a dot segment", "  - { name: a, path: /mcp/../x }", "expected /mcp/"],
    ["upper case", "  - { name: a, path: /mcp/X }", "expected /mcp/"],
    ["percent-encoding", "  - { name: a, path: /mcp/%78 }", "expected /mcp/"],
    ["the aggregated path", "  - { name: a, path: /mcp }", "expected /mcp/"],
  ])("refuses %s", (_what, virtual, message) => {
    expect(issues(virtual).join("\n")).toContain(message);
  });

  it("defaults the path to /mcp/virtual/<name>", () => {
    expect(parse("  - { name: team }")).toMatchObject({
      virtualServers: [{ name: "team", path: "/mcp/virtual/team" }],
    });
  });
});
