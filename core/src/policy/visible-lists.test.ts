import { Catalog, type UpstreamListing } from "../catalog/catalog";
import { parseConfig } from "../config/load";
import type { PolicyConfig } from "../config/security-schema";
import { AccessPolicy } from "./access-policy";
import { visibleLists } from "./visible-lists";

const config = parseConfig(
  `version: 1
auth: none
servers:
  - { name: weather, url: "http://127.0.0.1:1/mcp" }
  - { name: a, url: "http://127.0.0.1:2/mcp" }
  - { name: ab, url: "http://127.0.0.1:3/mcp" }
  - { name: plain, url: "http://127.0.0.1:4/mcp", prefix: "" }
`,
  {},
);

const listing = (tools: string[], more: Partial<UpstreamListing> = {}): UpstreamListing => ({
  tools: tools.map((name) => ({ name, inputSchema: { type: "object" } })),
  prompts: [],
  resources: [],
  ...more,
});

const catalog = Catalog.build(
  config.servers,
  new Map([
    [
      "weather",
      listing(["get_forecast", "get_alerts"], {
        prompts: [{ name: "report" }],
        resources: [{ uri: "weather://cities", name: "cities" }],
        resourceTemplates: [{ uriTemplate: "weather://city/{id}", name: "city" }],
      }),
    ],
    ["a", listing(["x", "y"])],
    ["ab", listing(["x"])],
    // An unprefixed server can list names that look like another server's.
    ["plain", listing(["echo", "weather_evil"])],
  ]),
);

const policy = (config: Partial<PolicyConfig>, claimTools?: readonly string[]): AccessPolicy =>
  new AccessPolicy("p", { tools: [], prompts: [], resources: [], ...config }, claimTools);
const toolNames = (p: AccessPolicy, from: Catalog = catalog): unknown[] =>
  visibleLists(from, p).tools.map((tool) => tool.name);

describe("visibleLists", () => {
  it("shows nothing to a policy that names nothing", () => {
    expect(visibleLists(catalog, policy({}))).toEqual({ tools: [], prompts: [], resources: [], resourceTemplates: [] });
  });

  it("shows everything to the open policy", () => {
    const lists = visibleLists(catalog, AccessPolicy.open());
    expect([lists.tools.length, lists.prompts.length, lists.resources.length, lists.resourceTemplates.length]).toEqual([
      7, 1, 1, 1,
    ]);
  });

  it("shows only the tools a glob allows, with their listed fields", () => {
    expect(visibleLists(catalog, policy({ tools: ["weather_get_*"] })).tools).toEqual([
      { name: "weather_get_forecast", inputSchema: { type: "object" } },
      { name: "weather_get_alerts", inputSchema: { type: "object" } },
    ]);
  });

  it("does not show a server prefixed `ab_` to a policy allowing `a_*`", () => {
    expect(toolNames(policy({ tools: ["a_*"] }))).toEqual(["a_x", "a_y"]);
  });

  it("shows only server a's tools to `servers: [a]` with `tools: [*]`", () => {
    expect(toolNames(policy({ servers: ["a"], tools: ["*"] }))).toEqual(["a_x", "a_y"]);
  });

  it("keeps an unprefixed server's look-alike tool out when the policy names its server", () => {
    expect(toolNames(policy({ servers: ["weather"], tools: ["weather_*"] }))).toEqual([
      "weather_get_forecast",
      "weather_get_alerts",
    ]);
  });

  it("narrows tools by a JWT tools claim", () => {
    expect(toolNames(policy({ tools: ["*"] }, ["weather_get_forecast", "a_*"]))).toEqual([
      "weather_get_forecast",
      "a_x",
      "a_y",
    ]);
  });

  it("filters prompts, resources and resource templates by their own lists", () => {
    const lists = visibleLists(catalog, policy({ prompts: ["weather_*"], resources: ["weather+weather://*"] }));
    expect([
      lists.prompts.map((p) => p.name),
      lists.resources.map((r) => r.uri),
      lists.resourceTemplates.map((t) => t.uriTemplate),
    ]).toEqual([["weather_report"], ["weather+weather://cities"], ["weather+weather://city/{id}"]]);
  });

  it("shows a narrowed server's resource templates", () => {
    const lists = visibleLists(catalog, policy({ servers: ["weather"], resources: ["*"] }));
    expect(lists.resourceTemplates.map((t) => t.uriTemplate)).toEqual(["weather+weather://city/{id}"]);
  });

  it("filters a list once per catalog and compiled policy", () => {
    const p = policy({ tools: ["*"] });
    expect(visibleLists(catalog, p)).toBe(visibleLists(catalog, p));
  });

  it("filters a new catalog afresh", () => {
    const p = policy({ tools: ["a_*"] });
    const before = toolNames(p);
    const next = Catalog.build(config.servers, new Map([["a", listing(["z"])]]));
    expect([before, toolNames(p, next)]).toEqual([["a_x", "a_y"], ["a_z"]]);
  });
});

describe("look-alike names against policy and catalog", () => {
  const weather = policy({ tools: ["weather_*"] });

  it.each([
    ["upper case", "WEATHER_get_forecast"],
    ["a zero-width space", "weather\u200b_get_forecast"],
    ["a Cyrillic е", "w\u0435ather_get_forecast"],
    ["a percent-encoded underscore", "weather%5Fget_forecast"],
  ])("neither resolves nor allows %s", (_label, name) => {
    const target = catalog.resolveTool(name);
    expect(target).toBeUndefined();
    expect(weather.allows("tool", name, target?.server.name ?? "")).toBe(false);
  });

  it("resolves ab_x to server ab, which `servers: [a]` denies", () => {
    const target = catalog.resolveTool("ab_x");
    expect(target?.server.name).toBe("ab");
    expect(policy({ servers: ["a"], tools: ["*"] }).allows("tool", "ab_x", target?.server.name ?? "")).toBe(false);
  });
});
