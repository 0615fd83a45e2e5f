import { Catalog, type UpstreamListing } from "../catalog/catalog";
import { parseConfig } from "../config/load";
import { exposureOf } from "./endpoint-exposure";
import { resolveEndpoint, type Endpoint } from "./endpoints";

const config = parseConfig(
  `version: 1
auth: none
servers:
  - { name: weather, url: "http://127.0.0.1:1/mcp", tools: { exclude: [secret_*] } }
  - { name: notes, url: "http://127.0.0.1:2/mcp" }
virtualServers:
  - name: team
    tools:
      - { server: weather, name: get_forecast, as: forecast, description: "Tomorrow's weather" }
      - { server: weather, name: "secret_*" }
      - { server: notes, name: "list_*" }
    prompts: [{ server: notes, name: summary, as: notes_summary }]
    resources: [{ server: weather, uri: "weather://cities/*" }]
`,
  {},
);

const listing = (tools: string[], prompts: string[] = [], uris: string[] = []): UpstreamListing => ({
  tools: tools.map((name) => ({ name, description: `upstream ${name}` })),
  prompts: prompts.map((name) => ({ name })),
  resources: uris.map((uri) => ({ uri, name: uri })),
});
const listings = new Map([
  ["weather", listing(["get_forecast", "server_info", "secret_key"], [], ["weather://cities/paris", "weather://x"])],
  ["notes", listing(["list_notes", "add_note"], ["summary"])],
]);
const at = (path: string): Catalog =>
  Catalog.build(config.servers, listings, undefined, exposureOf(resolveEndpoint(config, path) as Endpoint));
const names = (items: readonly Record<string, unknown>[], key = "name"): unknown[] => items.map((i) => i[key]);

describe("endpoint catalogs", () => {
  it("/mcp/<server> lists that server only, unprefixed, its tool filter still applied", () => {
    const weather = at("/mcp/weather");
    expect(names(weather.listTools())).toEqual(["get_forecast", "server_info"]);
    expect(names(weather.listResources(), "uri")).toEqual(["weather://cities/paris", "weather://x"]);
    expect(weather.resolveTool("get_forecast")?.name).toBe("get_forecast");
    expect(weather.resolveTool("weather_get_forecast")).toBeUndefined();
    expect(weather.resolveTool("secret_key")).toBeUndefined();
  });

  it("a virtual server lists exactly its picks, renamed and described, and routes renames to the upstream name", () => {
    const team = at("/mcp/virtual/team");
    expect(team.listTools()).toEqual([
      { name: "forecast", description: "Tomorrow's weather" },
      { name: "list_notes", description: "upstream list_notes" },
    ]);
    expect(team.resolveTool("forecast")).toMatchObject({ server: { name: "weather" }, name: "get_forecast" });
    expect(team.resolveTool("get_forecast")).toBeUndefined();
    expect(names(team.listPrompts())).toEqual(["notes_summary"]);
    expect(names(team.listResources(), "uri")).toEqual(["weather+weather://cities/paris"]);
    expect(team.resolveResource("weather+weather://cities/lyon")?.name).toBe("weather://cities/lyon");
    expect(team.resolveResource("weather+weather://x")).toBeUndefined();
  });

  it("names every target by its aggregated name for policy, whatever the endpoint", () => {
    const team = at("/mcp/virtual/team");
    const target = team.resolveTool("forecast");
    expect(target && team.canonicalName("tool", target, "forecast")).toBe("weather_get_forecast");
    const weather = at("/mcp/weather");
    const uri = weather.resolveResource("weather://x");
    expect(uri && weather.canonicalName("resource", uri, "weather://x")).toBe("weather+weather://x");
  });
});
