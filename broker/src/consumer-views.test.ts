import {
  AccessPolicy,
  Catalog,
  endpointTable,
  exposureOf,
  parseConfig,
  type Caller,
  type Identity,
  type PolicyConfig,
  type ServerConfig,
  type UpstreamListing,
} from "@mcp-gateway/core";
import type { ListChange } from "./catalog-changes";
import { ConsumerViews, currentIdentity, viewChanges, type EndpointViews } from "./consumer-views";

const weather: ServerConfig = { name: "weather", url: "http://127.0.0.1:1/mcp", prefix: "weather_", headers: {} };
const tool = (name: string) => ({ name, description: name, inputSchema: { type: "object" } });
const listing: UpstreamListing = {
  tools: [tool("get_forecast"), tool("get_alerts")],
  prompts: [{ name: "report" }],
  resources: [{ uri: "weather://cities", name: "cities" }],
};
const catalog = Catalog.build([weather], new Map([["weather", listing]]), new Set(["weather"]));
const fewer = Catalog.build(
  [weather],
  new Map([["weather", { ...listing, tools: [tool("get_forecast")] }]]),
  new Set(["weather"]),
);

const policy = (config: Partial<PolicyConfig>, name = "p"): AccessPolicy =>
  new AccessPolicy(name, { tools: [], prompts: [], resources: [], ...config });
const ALL = policy({ tools: ["*"], prompts: ["*"], resources: ["*"] }, "all");
const FORECAST = policy({ tools: ["weather_get_forecast"], prompts: ["*"], resources: ["*"] }, "forecast");
const NO_PROMPTS = policy({ tools: ["*"], resources: ["*"] }, "no-prompts");

const TOOLS: ListChange = "notifications/tools/list_changed";
const PROMPTS: ListChange = "notifications/prompts/list_changed";

describe("viewChanges", () => {
  it.each<[what: string, previous: Catalog, before: AccessPolicy, next: Catalog, after: AccessPolicy, want: string[]]>([
    ["nothing changed", catalog, ALL, catalog, ALL, []],
    ["the policy lost a tool", catalog, ALL, catalog, FORECAST, [TOOLS]],
    ["the policy lost the prompts", catalog, ALL, catalog, NO_PROMPTS, [PROMPTS]],
    [
      "another policy with the same view",
      catalog,
      ALL,
      catalog,
      policy({ tools: ["*"], prompts: ["*"], resources: ["*"] }),
      [],
    ],
    ["a tool the consumer cannot see left the catalog", catalog, FORECAST, fewer, FORECAST, []],
    ["a tool the consumer sees left the catalog", catalog, ALL, fewer, ALL, [TOOLS]],
    ["the catalog lost what the new policy dropped anyway", catalog, ALL, fewer, FORECAST, [TOOLS]],
  ])("%s", (_what, previous, before, next, after, want) => {
    expect(viewChanges(previous, before, next, after)).toEqual(want);
  });
});

describe("currentIdentity", () => {
  const config = parseConfig(
    `version: 1
servers: [{ name: weather, url: "http://127.0.0.1:1/mcp" }]
auth: { jwt: { issuer: "https://issuer.example", audience: gw, jwksUrl: "https://issuer.example/jwks", defaultPolicy: fallback } }
consumers:
  - { name: alice, policy: moved }
policies: { moved: {}, fallback: {}, old: {} }
`,
    {},
  );
  it.each<[what: string, identity: Identity, policy: string]>([
    ["a configured consumer moved to another policy", { consumer: "alice", policy: "old", method: "api-key" }, "moved"],
    [
      "a token's consumer the file does not name: the default policy",
      { consumer: "carol", policy: "old", method: "jwt" },
      "fallback",
    ],
    ["an admin API consumer keeps its policy", { consumer: "dave", policy: "old", method: "api-key" }, "old"],
    ["the anonymous caller is unchanged", { consumer: "anonymous", policy: "open", method: "anonymous" }, "open"],
  ])("%s", (_what, identity, policy) => {
    expect(currentIdentity(config, identity).policy).toBe(policy);
  });
});

describe("ConsumerViews", () => {
  const caller = (policy: AccessPolicy): Caller => ({
    identity: { consumer: "c", policy: policy.name, method: "api-key" },
    policy,
  });

  it("compares with the policy a caller was last told under, once per round, until the round is committed", () => {
    let current = ALL;
    const views = new ConsumerViews(() => current);
    const alice = caller(ALL);
    expect(views.round(catalog, catalog).changes(alice)).toEqual([]);
    current = FORECAST;
    const round = views.round(catalog, catalog);
    expect(round.changes(alice)).toEqual([TOOLS]);
    // Asked again in the same round (a second stream of the same caller): the same answer.
    expect(round.changes(alice)).toEqual([TOOLS]);
    // Not committed: the next round still compares with ALL.
    expect(views.round(catalog, catalog).changes(alice)).toEqual([TOOLS]);
    const told = views.round(catalog, catalog);
    told.changes(alice);
    told.commit();
    expect(views.round(catalog, catalog).changes(alice)).toEqual([]);
  });

  it("starts from the policy a caller connected with", () => {
    const views = new ConsumerViews(() => NO_PROMPTS);
    expect(views.round(catalog, catalog).changes(caller(ALL))).toEqual([PROMPTS]);
    expect(views.round(catalog, catalog).changes(caller(NO_PROMPTS))).toEqual([]);
  });
});

describe("ConsumerViews per endpoint", () => {
  const config = parseConfig(
    `version: 1
auth: none
servers:
  - { name: weather, url: "http://127.0.0.1:1/mcp", prefix: weather_ }
  - { name: notes, url: "http://127.0.0.1:2/mcp", prefix: notes_ }
virtualServers:
  - { name: team, tools: [{ server: weather, name: get_forecast }, { server: notes, name: list_notes }] }
  - { name: search, tools: [{ server: notes, name: search_notes }] }
`,
    {},
  );
  const notes = (...names: string[]): UpstreamListing => ({ tools: names.map(tool), prompts: [], resources: [] });
  const build = (notesListing: UpstreamListing) =>
    new Map([
      ["weather", listing],
      ["notes", notesListing],
    ]);
  // Two aggregated catalogs, before and after the notes server added search_notes, and what each was built from.
  const inputs = new Map<Catalog, ReadonlyMap<string, UpstreamListing>>();
  const aggregated = (listings: ReadonlyMap<string, UpstreamListing>): Catalog => {
    const built = Catalog.build(config.servers, listings);
    inputs.set(built, listings);
    return built;
  };
  const before = aggregated(build(notes("list_notes")));
  const after = aggregated(build(notes("list_notes", "search_notes")));
  const endpoints: EndpointViews = {
    current: (caller) => caller.endpoint,
    catalogAt: (catalog, endpoint) =>
      endpoint === undefined
        ? catalog
        : Catalog.build(config.servers, inputs.get(catalog) ?? new Map(), undefined, exposureOf(endpoint)),
  };
  const at = (path: string): Caller => ({
    identity: { consumer: "c", policy: "all", method: "api-key" },
    policy: ALL,
    endpoint: endpointTable(config).get(path),
  });

  it.each([
    ["/mcp", [TOOLS]],
    ["/mcp/notes", [TOOLS]],
    ["/mcp/weather", []],
    ["/mcp/virtual/team", []],
    ["/mcp/virtual/search", [TOOLS]],
  ])("a tool the notes server added: %s is told %j", (path, want) => {
    const views = new ConsumerViews(() => ALL, endpoints);
    expect(views.round(before, after).changes(at(path))).toEqual(want);
  });

  it("a virtual server redefined by a reload is told when its selection's listing changed", () => {
    const redefined = parseConfig(
      `version: 1
auth: none
servers: ${JSON.stringify(config.servers)}
virtualServers:
  - { name: team, tools: [{ server: weather, name: get_forecast }] }
`,
      {},
    );
    const views = new ConsumerViews(() => ALL, {
      ...endpoints,
      current: (caller) => (caller.endpoint && endpointTable(redefined).get(caller.endpoint.path)) ?? caller.endpoint,
    });
    expect(views.round(after, after).changes(at("/mcp/virtual/team"))).toEqual([TOOLS]);
    expect(views.round(after, after).changes(at("/mcp/weather"))).toEqual([]);
  });
});
