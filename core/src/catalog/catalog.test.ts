import { parseConfig } from "../config/load";
import { Catalog, type UpstreamListing } from "./catalog";

const config = parseConfig(
  `version: 1
auth: none
servers:
  - { name: weather, url: "http://127.0.0.1:1/mcp" }
  - { name: plain, url: "http://127.0.0.1:2/mcp", prefix: "" }
  - { name: notes, url: "http://127.0.0.1:3/mcp", tools: { exclude: ["disable_*"] } }
`,
  {},
);

const tool = (name: string): { name: string; inputSchema: object } => ({ name, inputSchema: { type: "object" } });
const listing = (tools: string[], prompts: string[] = [], uris: string[] = []): UpstreamListing => ({
  tools: tools.map(tool),
  prompts: prompts.map((name) => ({ name })),
  resources: uris.map((uri) => ({ uri, name: uri })),
});

const catalog = Catalog.build(
  config.servers,
  new Map([
    ["weather", listing(["get_forecast", "server_info"], ["report"], ["weather://cities"])],
    ["plain", listing(["echo", "weather_get_forecast"])],
    ["notes", listing(["add_note", "disable_search", "echo"], [], ["weather://cities"])],
  ]),
);

describe("Catalog", () => {
  it("lists tools under their server's prefix, in config order, with filters applied", () => {
    expect(catalog.listTools().map((t) => t.name)).toEqual([
      "weather_get_forecast",
      "weather_server_info",
      "echo",
      "notes_add_note",
      "notes_echo",
    ]);
  });

  it.each([
    ["weather_get_forecast", "weather", "get_forecast"],
    ["echo", "plain", "echo"],
    ["notes_echo", "notes", "echo"],
  ])("resolves %s to %s/%s", (exposed, server, name) => {
    expect(catalog.resolveTool(exposed)).toMatchObject({ server: { name: server }, name });
  });

  it.each(["get_forecast", "notes_disable_search", "weather_", "WEATHER_get_forecast", "nope"])(
    "does not resolve %s",
    (name) => {
      expect(catalog.resolveTool(name)).toBeUndefined();
    },
  );

  it("reports collisions naming both servers and keeps the earlier server", () => {
    expect(catalog.conflicts).toEqual([
      { kind: "tool", name: "weather_get_forecast", kept: "weather", dropped: "plain" },
    ]);
  });

  it("resolves prompts by prefixed name", () => {
    expect(catalog.resolvePrompt("weather_report")).toMatchObject({ server: { name: "weather" }, name: "report" });
  });

  it("lists resources under prefixed URIs and maps them back unambiguously", () => {
    expect(catalog.listResources().map((r) => r.uri)).toEqual(["weather+weather://cities", "notes+weather://cities"]);
    expect(catalog.resolveResource("weather+weather://cities")).toMatchObject({
      server: { name: "weather" },
      name: "weather://cities",
    });
    expect(catalog.resolveResource("notes+weather://cities")).toMatchObject({
      server: { name: "notes" },
      name: "weather://cities",
    });
  });
});

describe("Catalog with an unhealthy server", () => {
  const unhealthy = Catalog.build(
    config.servers,
    new Map([
      ["weather", listing(["get_forecast"])],
      ["plain", listing(["echo"])],
    ]),
    new Set(["plain"]),
  );

  it("hides its tools from the list", () => {
    expect(unhealthy.listTools().map((t) => t.name)).toEqual(["echo"]);
  });

  it("keeps its tools routable by the last known listing", () => {
    expect(unhealthy.resolveTool("weather_get_forecast")).toMatchObject({ server: { name: "weather" } });
  });
});

describe("Catalog resource templates", () => {
  const templated = Catalog.build(
    config.servers,
    new Map([
      ["weather", { ...listing([]), resourceTemplates: [{ uriTemplate: "weather://cities/{city}", name: "city" }] }],
      [
        "plain",
        {
          ...listing([], [], ["file:///readme"]),
          resourceTemplates: [{ uriTemplate: "file:///docs/{path}", name: "doc" }],
        },
      ],
    ]),
  );

  it("lists templates with prefixed URI templates (an empty prefix keeps them)", () => {
    expect(templated.listResourceTemplates().map((t) => t.uriTemplate)).toEqual([
      "weather+weather://cities/{city}",
      "file:///docs/{path}",
    ]);
  });

  it.each([
    ["weather+weather://cities/oslo", "weather", "weather://cities/oslo"],
    ["file:///docs/intro.md", "plain", "file:///docs/intro.md"],
    ["file:///readme", "plain", "file:///readme"],
  ])("routes the URI %s (built from a template) to %s as %s", (uri, server, original) => {
    expect(templated.resolveResource(uri)).toMatchObject({ server: { name: server }, name: original });
  });
});

describe("Catalog resource prefixes", () => {
  const prefixed = parseConfig(
    `version: 1
auth: none
servers:
  - { name: a, url: "http://127.0.0.1:1/mcp" }
  - { name: ab, url: "http://127.0.0.1:2/mcp", prefix: "x_", resourcePrefix: "a.b" }
  - { name: c, url: "http://127.0.0.1:3/mcp", resourcePrefix: "" }
`,
    {},
  );
  const built = Catalog.build(
    prefixed.servers,
    new Map([
      ["a", { ...listing([], [], ["b+file:///x"]), resourceTemplates: [{ uriTemplate: "fs://{path}", name: "p" }] }],
      ["ab", { ...listing([], [], ["file:///x"]), resourceTemplates: [{ uriTemplate: "fs://{path}", name: "p" }] }],
      ["c", listing([], [], ["c+file:///y"])],
    ]),
  );

  it("puts each server's resource prefix and a + before the scheme", () => {
    expect(built.listResources().map((r) => r.uri)).toEqual(["a+b+file:///x", "a.b+file:///x", "c+file:///y"]);
    expect(built.listResourceTemplates().map((t) => t.uriTemplate)).toEqual(["a+fs://{path}", "a.b+fs://{path}"]);
  });

  it.each([
    ["a+b+file:///x", "a", "b+file:///x"],
    ["a.b+file:///x", "ab", "file:///x"],
    ["a+fs://tmp/1", "a", "fs://tmp/1"],
    ["A+fs://tmp/1", "a", "fs://tmp/1"],
    ["A.B+fs://tmp/1", "ab", "fs://tmp/1"],
    ["a.b+fs://tmp/1", "ab", "fs://tmp/1"],
    ["c+file:///y", "c", "c+file:///y"],
    ["other://z", "c", "other://z"],
  ])("maps %s back to server %s as %s (the first + ends the prefix)", (uri, server, original) => {
    expect(built.resolveResource(uri)).toMatchObject({ server: { name: server }, name: original });
  });

  it("no longer reads the tool prefix in front of a scheme as a resource prefix", () => {
    expect(catalog.resolveResource("weather_weather://cities")).toBeUndefined();
  });
});
