import { Catalog, type UpstreamListing } from "../catalog/catalog";
import { parseConfig } from "../config/load";
import { parseJsonRpc } from "../jsonrpc/message";
import { AccessPolicy } from "../policy/access-policy";
import { visibleLists } from "../policy/visible-lists";
import { route } from "../routing/route";
import { exposureOf } from "./endpoint-exposure";
import { resolveEndpoint, type Endpoint } from "./endpoints";

// Security review F5: at /mcp/<server> (or a virtual server) a target's policy name is its aggregated name; when the
// aggregated endpoint gives that name to another server, the target is shadowed: never listed, refused everywhere.
const config = parseConfig(
  `version: 1
auth: none
servers:
  - { name: weather, url: "http://127.0.0.1:1/mcp" }
  - { name: plain, url: "http://127.0.0.1:2/mcp", prefix: "" }
virtualServers:
  - name: team
    tools: [{ server: plain, name: weather_get_forecast, as: forecast }, { server: plain, name: own_tool }]
`,
  {},
);

const listing = (tools: string[], prompts: string[] = [], uris: string[] = []): UpstreamListing => ({
  tools: tools.map((name) => ({ name })),
  prompts: prompts.map((name) => ({ name })),
  resources: uris.map((uri) => ({ uri, name: uri })),
  resourceTemplates: [],
});
const listings = new Map([
  ["weather", listing(["get_forecast"], ["brief"], ["weather://x"])],
  ["plain", listing(["weather_get_forecast", "own_tool"], ["weather_brief"], ["plain://a"])],
]);
const aggregated = Catalog.build(config.servers, listings);
const at = (path: string): Catalog =>
  Catalog.build(config.servers, listings, undefined, exposureOf(resolveEndpoint(config, path) as Endpoint), aggregated);
// Meant for weather's tool, prompt and resources only.
const weatherOnly = new AccessPolicy("weather-only", {
  servers: undefined,
  tools: ["weather_get_forecast"],
  prompts: ["weather_brief"],
  resources: ["weather+*"],
});
const request = (method: string, params: Record<string, unknown>): ReturnType<typeof parseJsonRpc> =>
  parseJsonRpc(JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }));
const names = (items: readonly Record<string, unknown>[], key = "name"): unknown[] => items.map((i) => i[key]);

describe("a target shadowed at the aggregated endpoint", () => {
  it("is the aggregated endpoint's conflict: the name is weather's there", () => {
    expect(aggregated.resolveTool("weather_get_forecast")?.server.name).toBe("weather");
    expect(aggregated.conflicts).toContainEqual({
      kind: "tool",
      name: "weather_get_forecast",
      kept: "weather",
      dropped: "plain",
    });
  });

  it("/mcp/<server> neither lists it nor judges it by the other server's name", () => {
    const plain = at("/mcp/plain");
    expect(names(plain.listTools())).toEqual(["own_tool"]);
    expect(names(plain.listPrompts())).toEqual([]);
    const target = plain.resolveTool("weather_get_forecast");
    expect(target && plain.canonicalName("tool", target, "weather_get_forecast")).toBeUndefined();
    expect(visibleLists(plain, weatherOnly).tools).toEqual([]);
    expect(visibleLists(plain, weatherOnly).prompts).toEqual([]);
  });

  it.each([
    ["tools/call", { name: "weather_get_forecast", arguments: {} }, /tool "weather_get_forecast" is unavailable/],
    ["prompts/get", { name: "weather_brief" }, /prompt "weather_brief" is unavailable/],
    ["resources/read", { uri: "weather+weather://x" }, /resource "weather\+weather:\/\/x" is unavailable/],
    ["resources/read", { uri: "WEATHER+weather://x" }, /is unavailable/],
  ])("/mcp/plain refuses %s %j with a clear error (fail closed)", (method, params, message) => {
    const decision = route(request(method, params), at("/mcp/plain"));
    expect(decision.kind).toBe("reject");
    expect(decision.kind === "reject" && decision.error.message).toMatch(message);
  });

  it("a virtual server's pick of it is refused, its other picks served under their own aggregated names", () => {
    const team = at("/mcp/virtual/team");
    expect(names(team.listTools())).toEqual(["own_tool"]);
    expect(route(request("tools/call", { name: "forecast", arguments: {} }), team).kind).toBe("reject");
    const own = route(request("tools/call", { name: "own_tool", arguments: {} }), team);
    expect(own.kind === "upstream" && own.named.exposed).toBe("own_tool");
  });

  it("the same with default prefixes: a's b_x and a_b's x are both a_b_x", () => {
    const servers = [
      { ...(config.servers[0] as (typeof config.servers)[0]), name: "a", prefix: "a_", resourcePrefix: "a" },
      { ...(config.servers[0] as (typeof config.servers)[0]), name: "a_b", prefix: "a_b_", resourcePrefix: "a-b" },
    ];
    const both = new Map([
      ["a", listing(["b_x"])],
      ["a_b", listing(["x"])],
    ]);
    const ab = Catalog.build(servers, both, undefined, exposureOf({ kind: "server", path: "/mcp/a_b", server: "a_b" }));
    expect(ab.listTools()).toEqual([]);
    const decision = route(request("tools/call", { name: "x", arguments: {} }), ab);
    expect(decision.kind === "reject" && decision.error.message).toMatch(/tool "x" is unavailable/);
  });

  it("an item no other server claims keeps its aggregated name at every endpoint", () => {
    const weather = at("/mcp/weather");
    const decision = route(request("tools/call", { name: "get_forecast", arguments: {} }), weather);
    expect(decision.kind === "upstream" && decision.named.exposed).toBe("weather_get_forecast");
    const read = route(request("resources/read", { uri: "plain://a" }), at("/mcp/plain"));
    expect(read.kind === "upstream" && read.named.exposed).toBe("plain://a");
  });
});
