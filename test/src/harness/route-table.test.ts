import { HeaderMap } from "./header-map";
import { RouteTable, type RouteEntry } from "./route-table";

function route(partial: Partial<RouteEntry> & { cluster: string }): RouteEntry {
  return { caseSensitive: true, headers: [], timeoutMs: 0, autoHostRewrite: false, ...partial };
}

const table = new RouteTable([
  {
    name: "mcp",
    domains: ["*"],
    routes: [
      route({
        prefix: "/mcp",
        cluster: "weather",
        headers: [{ name: "x-destination-mcp", kind: "exact", value: "weather", ignoreCase: false }],
      }),
      route({ path: "/healthz", cluster: "health" }),
      route({
        prefix: "/",
        cluster: "broker",
        headers: [{ name: "x-tenant", kind: "present", value: true, ignoreCase: false }],
      }),
      route({ prefix: "/", cluster: "fallback" }),
    ],
  },
]);

function headers(path: string, extra: Array<[string, string]> = []): HeaderMap {
  return new HeaderMap([[":path", path], [":authority", "gw:8080"], ...extra]);
}

describe("RouteTable.match", () => {
  it.each<[string, HeaderMap, string | undefined]>([
    ["header match", headers("/mcp", [["x-destination-mcp", "weather"]]), "weather"],
    ["header value differs", headers("/mcp", [["x-destination-mcp", "notes"]]), "fallback"],
    [
      "multiple values are joined with a comma",
      headers("/mcp", [
        ["x-destination-mcp", "weather"],
        ["x-destination-mcp", "x"],
      ]),
      "fallback",
    ],
    ["exact path ignores the query", headers("/healthz?full=1"), "health"],
    ["exact path is exact", headers("/healthz/x"), "fallback"],
    ["present_match", headers("/x", [["x-tenant", ""]]), "broker"],
    ["prefix is case-sensitive", headers("/MCP", [["x-destination-mcp", "weather"]]), "fallback"],
  ])("%s", (_name, request, cluster) => {
    expect(table.match(request)?.cluster).toBe(cluster);
  });

  it("returns undefined when no virtual host matches", () => {
    const strict = new RouteTable([
      { name: "a", domains: ["api.example"], routes: [route({ prefix: "/", cluster: "a" })] },
    ]);
    expect(strict.match(headers("/"))).toBeUndefined();
    expect(
      strict.match(
        new HeaderMap([
          [":path", "/"],
          [":authority", "api.example:443"],
        ]),
      )?.cluster,
    ).toBe("a");
  });
});
