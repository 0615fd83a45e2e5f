import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { startServer as startNotes } from "../../../examples/notes-server/src/index";
import { startServer as startWeather } from "../../../examples/weather-server/src/index";
import type { Catalog } from "../catalog/catalog";
import { createLogger, silentLogger, type Logger } from "../logging";
import { fixtureConfig, startMcpFixture, waitUntil, type FixtureServer } from "../testing/fixture-server";
import { UpstreamConnection } from "./upstream-connection";
import { NEW_SERVER_GRACE_MS, UpstreamManager } from "./upstream-manager";

const toolNames = (catalog: Catalog): string[] => catalog.listTools().map((t) => String(t["name"]));
const tool = (name: string): Record<string, unknown> => ({ name, inputSchema: { type: "object" } });

/** Lines a capturing logger wrote, parsed. */
function capture(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ sink: { write: (l: string) => lines.push(JSON.parse(l) as Record<string, unknown>) } });
  return { logger, lines };
}

// The SDK client opens its GET stream (where list_changed arrives) in the background after initialize, and a
// notification sent before it is open is lost; observing the global fetch it uses is the only way to see that moment.
function watchGetStreams(): { opened: Promise<void>; restore(): void } {
  const realFetch = globalThis.fetch;
  let resolve: () => void = () => undefined;
  const opened = new Promise<void>((r) => (resolve = r));
  globalThis.fetch = async (input, init) => {
    const response = await realFetch(input, init);
    if (init?.method === "GET" && response.ok) resolve();
    return response;
  };
  return { opened, restore: () => void (globalThis.fetch = realFetch) };
}

describe("UpstreamManager", () => {
  const servers: FixtureServer[] = [];
  const clients: Client[] = [];
  let manager: UpstreamManager | undefined;

  afterEach(async () => {
    await manager?.close();
    manager = undefined;
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  function start(
    logger: Logger = silentLogger,
    onCatalogChange?: (catalog: Catalog, previous: Catalog) => void,
  ): UpstreamManager {
    const options = { logger, clientInfo: { name: "gateway-test", version: "0.0.0" }, onCatalogChange };
    manager = new UpstreamManager(fixtureConfig({ none: "http://127.0.0.1:1/mcp" }).health, options);
    return manager;
  }

  async function probe(url: string): Promise<Client> {
    const client = new Client({ name: "probe", version: "0.0.0" });
    clients.push(client);
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
    return client;
  }

  async function sessionCount(client: Client): Promise<number> {
    const result = (await client.callTool({ name: "server_info" })) as CallToolResult;
    const block = result.content[0];
    return block?.type === "text" ? (JSON.parse(block.text) as { sessionCount: number }).sessionCount : -1;
  }

  it("hides a vanished upstream's tools but keeps them resolvable, and lists them again when it is back", async () => {
    const weather = await startWeather({ port: 0 });
    servers.push(weather);
    const gateway = start();
    await gateway.configure(fixtureConfig({ weather: weather.url }));
    await gateway.settled();
    expect(toolNames(gateway.catalog())).toEqual(["weather_get_forecast", "weather_get_alerts", "weather_server_info"]);

    await weather.close();
    await waitUntil(() => toolNames(gateway.catalog()).length === 0, "the tools to be hidden");
    expect(gateway.statuses()[0]?.state).toBe("unhealthy");
    expect(gateway.catalog().resolveTool("weather_get_forecast")).toMatchObject({
      server: { name: "weather" },
      name: "get_forecast",
    });

    servers.push(await startWeather({ port: weather.port }));
    await waitUntil(() => toolNames(gateway.catalog()).length === 3, "the tools to be listed again");
    expect(gateway.statuses()[0]).toMatchObject({ state: "ready", toolCount: 3 });
  });

  it("retries a vanished upstream with exponential backoff capped at maxBackoff", async () => {
    const weather = await startWeather({ port: 0 });
    servers.push(weather);
    const { logger, lines } = capture();
    const gateway = start(logger);
    await gateway.configure(fixtureConfig({ weather: weather.url }));
    await gateway.settled();
    await weather.close();
    const retries = (): unknown[] =>
      lines.filter((l) => l["msg"] === "upstream unavailable").map((l) => l["retryInMs"]);
    await waitUntil(() => retries().length >= 4, "four failed attempts");
    expect(retries().slice(0, 4)).toEqual([100, 200, 400, 400]);
  });

  it("applies changed health settings to the connections it keeps", async () => {
    const weather = await startWeather({ port: 0 });
    servers.push(weather);
    const { logger, lines } = capture();
    const gateway = start(logger);
    await gateway.configure(fixtureConfig({ weather: weather.url }));
    await gateway.settled();
    await gateway.configure(fixtureConfig({ weather: weather.url }, { maxBackoff: "250ms" }));
    expect(lines.filter((l) => l["msg"] === "upstream ready")).toHaveLength(1);
    await weather.close();
    const retries = (): unknown[] =>
      lines.filter((l) => l["msg"] === "upstream unavailable").map((l) => l["retryInMs"]);
    await waitUntil(() => retries().length >= 4, "four failed attempts");
    expect(retries().slice(0, 4)).toEqual([100, 200, 250, 250]);
  });

  it("re-lists on tools/list_changed and reports the new catalog", async () => {
    const notes = await startNotes({ port: 0 });
    servers.push(notes);
    const changes: [string[], string[]][] = [];
    const gateway = start(silentLogger, (catalog, previous) => changes.push([toolNames(catalog), toolNames(previous)]));
    const streams = watchGetStreams();
    try {
      await gateway.configure(fixtureConfig({ notes: notes.url }));
      await gateway.settled();
      await streams.opened;
    } finally {
      streams.restore();
    }
    expect(toolNames(gateway.catalog())).not.toContain("notes_search_notes");

    await (await probe(notes.url)).callTool({ name: "enable_search" });
    await waitUntil(() => toolNames(gateway.catalog()).includes("notes_search_notes"), "search_notes to be listed");
    expect(changes).toContainEqual([
      expect.arrayContaining(["notes_search_notes"]),
      expect.not.arrayContaining(["notes_search_notes"]),
    ]);
  });

  it("lists once more after connecting, catching a change whose list_changed came before its stream opened", async () => {
    const tool = (name: string): object => ({ name, inputSchema: { type: "object" } });
    let tools = [tool("first")];
    const upstream = await startMcpFixture({ listTools: () => ({ tools }) });
    servers.push(upstream);
    const gateway = start();
    await gateway.configure(fixtureConfig({ up: { url: upstream.url, prefix: "" } }));
    await gateway.settled();
    tools = [tool("first"), tool("second")]; // changed, with no notification the gateway could have seen
    await waitUntil(() => gateway.catalog().resolveTool("second") !== undefined, "the re-list after connect");
    expect(
      gateway
        .catalog()
        .listTools()
        .map((t) => t.name),
    ).toEqual(["first", "second"]);
  });

  it("keeps the connection of a server whose entry did not change (no new initialize)", async () => {
    const upstream = await startMcpFixture({ listTools: () => ({ tools: [tool("a")] }) });
    servers.push(upstream);
    const gateway = start();
    await gateway.configure(fixtureConfig({ up: upstream.url }));
    await gateway.settled();
    await gateway.configure(fixtureConfig({ up: upstream.url }));
    await gateway.settled();
    expect(upstream.initializeCount()).toBe(1);
    expect(upstream.sessionCount()).toBe(1);
    expect(toolNames(gateway.catalog())).toEqual(["up_a"]);
  });

  it("tells a server's generation without building its status (read on every routed call)", async () => {
    const upstream = await startMcpFixture({ listTools: () => ({ tools: [tool("a")] }) });
    servers.push(upstream);
    const gateway = start();
    await gateway.configure(fixtureConfig({ up: upstream.url }));
    await gateway.settled();
    const status = jest.spyOn(UpstreamConnection.prototype, "status");
    try {
      expect(gateway.generation("up")).toBe(gateway.statuses()[0]?.generation);
      expect(gateway.generation("up")).toBeDefined();
      expect(status).toHaveBeenCalledTimes(1);
    } finally {
      status.mockRestore();
    }
  });

  it("keeps the connection when only the prefix or filters change, and applies them", async () => {
    const upstream = await startMcpFixture({ listTools: () => ({ tools: [tool("a")] }) });
    servers.push(upstream);
    const gateway = start();
    await gateway.configure(fixtureConfig({ up: upstream.url }));
    await gateway.settled();
    await gateway.configure(fixtureConfig({ up: { url: upstream.url, prefix: "x_" } }));
    await gateway.settled();
    expect(upstream.initializeCount()).toBe(1);
    expect(toolNames(gateway.catalog())).toEqual(["x_a"]);
  });

  it("replaces the connection of a server whose URL changed, ending the old session", async () => {
    const before = await startMcpFixture({ listTools: () => ({ tools: [tool("a")] }) });
    const after = await startMcpFixture({ listTools: () => ({ tools: [tool("b")] }) });
    servers.push(before, after);
    const gateway = start();
    await gateway.configure(fixtureConfig({ up: before.url }));
    await gateway.settled();
    await gateway.configure(fixtureConfig({ up: after.url }));
    await gateway.settled();
    expect(before.sessionCount()).toBe(0);
    expect(after.initializeCount()).toBe(1);
    expect(toolNames(gateway.catalog())).toEqual(["up_b"]);
  });

  it("drops a removed server's tools and ends its upstream session", async () => {
    const weather = await startWeather({ port: 0 });
    const other = await startMcpFixture({ listTools: () => ({ tools: [tool("a")] }) });
    servers.push(weather, other);
    const gateway = start();
    await gateway.configure(fixtureConfig({ weather: weather.url, other: other.url }));
    await gateway.settled();
    const weatherProbe = await probe(weather.url);
    expect(await sessionCount(weatherProbe)).toBe(2);

    await gateway.configure(fixtureConfig({ other: other.url }));
    expect(toolNames(gateway.catalog())).toEqual(["other_a"]);
    expect(gateway.catalog().resolveTool("weather_get_forecast")).toBeUndefined();
    expect(gateway.statuses().map((s) => s.name)).toEqual(["other"]);
    expect(await sessionCount(weatherProbe)).toBe(1);
  });

  it("logs a name collision across servers once, naming both, and keeps the earlier server's tool", async () => {
    const first = await startMcpFixture({ listTools: () => ({ tools: [tool("echo")] }) });
    const second = await startMcpFixture({ listTools: () => ({ tools: [tool("echo")] }) });
    servers.push(first, second);
    const { logger, lines } = capture();
    const gateway = start(logger);
    await gateway.configure(
      fixtureConfig({ one: { url: first.url, prefix: "" }, two: { url: second.url, prefix: "" } }),
    );
    await gateway.settled();
    expect(gateway.catalog().resolveTool("echo")?.server.name).toBe("one");
    expect(lines.filter((l) => l["msg"] === "name collision across servers")).toEqual([
      expect.objectContaining({ level: "error", kind: "tool", name: "echo", kept: "one", dropped: "two" }),
    ]);
  });
  describe("awaitNewServers (a call naming a just-added server's tool)", () => {
    it("waits for a server configured moments ago to list, and reports the change", async () => {
      const probePort = await startWeather({ port: 0 });
      const { port } = probePort;
      await probePort.close();
      const gateway = start();
      await gateway.configure(fixtureConfig({ weather: `http://127.0.0.1:${String(port)}/mcp` }));
      await gateway.settled();
      expect(gateway.catalog().resolveTool("weather_get_forecast")).toBeUndefined();
      const waited = gateway.awaitNewServers(20_000);
      servers.push(await startWeather({ port }));
      expect(await waited).toBe(true);
      expect(gateway.catalog().resolveTool("weather_get_forecast")).toMatchObject({ name: "get_forecast" });
    });

    it("never waits on a server that listed once, even while it is down", async () => {
      const weather = await startWeather({ port: 0 });
      servers.push(weather);
      const gateway = start();
      await gateway.configure(fixtureConfig({ weather: weather.url }));
      await gateway.settled();
      await weather.close();
      await waitUntil(() => gateway.statuses()[0]?.state === "unhealthy", "the upstream to be down");
      // Far beyond the test's own timeout: a wait here would fail the test.
      expect(await gateway.awaitNewServers(600_000)).toBe(false);
    });

    it("never waits on a server configured longer ago than the grace period", async () => {
      const gateway = start();
      await gateway.configure(fixtureConfig({ none: "http://127.0.0.1:1/mcp" }));
      await gateway.settled();
      const now = Date.now();
      const clock = jest.spyOn(Date, "now").mockReturnValue(now + NEW_SERVER_GRACE_MS + 1);
      try {
        expect(await gateway.awaitNewServers(600_000)).toBe(false);
      } finally {
        clock.mockRestore();
      }
    });

    it("gives up at its bound when the new server never lists", async () => {
      const gateway = start();
      await gateway.configure(fixtureConfig({ none: "http://127.0.0.1:1/mcp" }));
      expect(await gateway.awaitNewServers(300)).toBe(false);
      expect(gateway.catalog().resolveTool("none_anything")).toBeUndefined();
    });
  });
});
