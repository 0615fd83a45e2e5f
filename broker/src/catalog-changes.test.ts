import { Catalog, type ServerConfig, type UpstreamListing } from "@mcp-gateway/core";
import { catalogChanges, type ListChange } from "./catalog-changes";

const weather: ServerConfig = { name: "weather", url: "http://127.0.0.1:1/mcp", prefix: "weather_", headers: {} };

const tool = (name: string, description = `${name} tool`) => ({ name, description, inputSchema: { type: "object" } });
const base: UpstreamListing = {
  tools: [tool("get_forecast")],
  prompts: [{ name: "weather_report" }],
  resources: [{ uri: "weather://cities", name: "cities" }],
};

/** A catalog with weather's `listing`, listed unless `ready` is false (an unhealthy server's items are hidden). */
const catalogOf = (listing: UpstreamListing, ready = true): Catalog =>
  Catalog.build([weather], new Map([["weather", listing]]), new Set(ready ? ["weather"] : []));

const TOOLS: ListChange = "notifications/tools/list_changed";
const PROMPTS: ListChange = "notifications/prompts/list_changed";
const RESOURCES: ListChange = "notifications/resources/list_changed";

describe("catalogChanges", () => {
  it.each<[change: string, previous: Catalog, next: Catalog, expected: ListChange[]]>([
    ["nothing changed", catalogOf(base), catalogOf({ ...base }), []],
    ["two empty catalogs", Catalog.empty(), Catalog.empty(), []],
    ["a tool added", catalogOf(base), catalogOf({ ...base, tools: [...base.tools, tool("get_alerts")] }), [TOOLS]],
    ["a tool removed", catalogOf(base), catalogOf({ ...base, tools: [] }), [TOOLS]],
    [
      "a tool's description changed",
      catalogOf(base),
      catalogOf({ ...base, tools: [tool("get_forecast", "new")] }),
      [TOOLS],
    ],
    ["a tool renamed", catalogOf(base), catalogOf({ ...base, tools: [tool("forecast")] }), [TOOLS]],
    ["a prompt added", catalogOf(base), catalogOf({ ...base, prompts: [...base.prompts, { name: "p2" }] }), [PROMPTS]],
    ["a resource removed", catalogOf(base), catalogOf({ ...base, resources: [] }), [RESOURCES]],
    ["the first upstream listed", Catalog.empty(), catalogOf(base), [TOOLS, PROMPTS, RESOURCES]],
    ["the upstream went unhealthy", catalogOf(base), catalogOf(base, false), [TOOLS, PROMPTS, RESOURCES]],
    ["the upstream recovered", catalogOf(base, false), catalogOf(base), [TOOLS, PROMPTS, RESOURCES]],
    [
      "only prompts and resources changed",
      catalogOf(base),
      catalogOf({ ...base, prompts: [], resources: [] }),
      [PROMPTS, RESOURCES],
    ],
  ])("%s", (_change, previous, next, expected) => {
    expect(catalogChanges(previous, next)).toEqual(expected);
  });
});
