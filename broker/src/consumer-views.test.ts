import {
  AccessPolicy,
  Catalog,
  parseConfig,
  type Caller,
  type Identity,
  type PolicyConfig,
  type ServerConfig,
  type UpstreamListing,
} from "@mcp-gateway/core";
import type { ListChange } from "./catalog-changes";
import { ConsumerViews, currentIdentity, viewChanges } from "./consumer-views";

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
