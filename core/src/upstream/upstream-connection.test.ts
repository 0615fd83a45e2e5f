import { LATEST_PROTOCOL_VERSION } from "@modelcontextprotocol/sdk/types.js";
import { startServer as startWeather } from "../../../examples/weather-server/src/index";
import { createLogger, silentLogger, type Logger } from "../logging";
import {
  fixtureConfig,
  freePort,
  startMcpFixture,
  waitUntil,
  type FixtureServer,
  type McpFixtureOptions,
} from "../testing/fixture-server";
import { UpstreamConnection } from "./upstream-connection";

const tool = (name: string): Record<string, unknown> => ({ name, inputSchema: { type: "object" } });

describe("UpstreamConnection", () => {
  const servers: FixtureServer[] = [];
  const connections: UpstreamConnection[] = [];

  afterEach(async () => {
    await Promise.all(connections.splice(0).map((c) => c.close()));
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  function create(url: string, logger: Logger = silentLogger): UpstreamConnection {
    const config = fixtureConfig({ up: url });
    const connection = new UpstreamConnection(config.servers[0]!, {
      health: config.health,
      logger,
      clientInfo: { name: "gateway-test", version: "0.0.0" },
      onChange: () => undefined,
    });
    connections.push(connection);
    return connection;
  }

  async function connectTo(url: string, logger: Logger = silentLogger): Promise<UpstreamConnection> {
    const connection = create(url, logger);
    connection.start();
    await connection.firstAttempt;
    return connection;
  }

  async function fixture(options: McpFixtureOptions): Promise<string> {
    const started = await startMcpFixture(options);
    servers.push(started);
    return started.url;
  }

  it("reaches ready with the upstream's counts and the negotiated protocol version", async () => {
    const weather = await startWeather({ port: 0 });
    servers.push(weather);
    const status = (await connectTo(weather.url)).status();
    expect(status).toMatchObject({
      name: "up",
      url: weather.url,
      state: "ready",
      protocolVersion: LATEST_PROTOCOL_VERSION,
      toolCount: 3,
      promptCount: 1,
      resourceCount: 1,
      droppedTools: [],
      lastError: undefined,
    });
    expect(status.lastCheckedAt).toEqual(expect.any(String));
  });

  it("lists every page of a paginated upstream", async () => {
    const pages: Record<string, { tools: unknown[]; nextCursor?: string }> = {
      first: { tools: [tool("a")], nextCursor: "2" },
      "2": { tools: [tool("b"), tool("c")], nextCursor: "3" },
      "3": { tools: [tool("d")] },
    };
    const connection = await connectTo(await fixture({ listTools: (cursor) => pages[cursor ?? "first"] ?? {} }));
    expect(connection.lastListing()?.tools.map((t) => t.name)).toEqual(["a", "b", "c", "d"]);
  });

  it("drops invalid tools, keeps the others and logs a warning naming each dropped tool and its problem", async () => {
    const lines: string[] = [];
    const logger = createLogger({ sink: { write: (line: string) => lines.push(line) } });
    const listed = [tool("good"), { name: "stringly", inputSchema: { type: "string" } }, { name: "schemaless" }];
    const connection = await connectTo(await fixture({ listTools: () => ({ tools: listed }) }), logger);
    expect(connection.status()).toMatchObject({ state: "ready", toolCount: 1 });
    expect(connection.status().droppedTools).toEqual(["stringly", "schemaless"]);
    expect(connection.lastListing()?.tools).toEqual([tool("good")]);
    const warnings = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l["level"] === "warn");
    expect(warnings).toEqual([
      expect.objectContaining({
        msg: "upstream item dropped",
        server: "up",
        item: "stringly",
        problem: 'inputSchema.type must be "object", got "string"',
      }),
      expect.objectContaining({
        msg: "upstream item dropped",
        server: "up",
        item: "schemaless",
        problem: "inputSchema is missing or not a JSON object",
      }),
    ]);
  });

  it("ends invalid, naming the missing tools capability, when the server does not declare it", async () => {
    const connection = await connectTo(await fixture({ capabilities: {} }));
    expect(connection.status()).toMatchObject({
      state: "invalid",
      lastError: expect.stringContaining("tools capability") as unknown,
      toolCount: 0,
    });
    expect(connection.isReady()).toBe(false);
  });

  it("ends its session on a server it judged invalid instead of leaving one behind per retry", async () => {
    const invalid = await startMcpFixture({ capabilities: {} });
    servers.push(invalid);
    const lines: string[] = [];
    const connection = await connectTo(invalid.url, createLogger({ sink: { write: (l: string) => lines.push(l) } }));
    // Three attempts (retried after 100 and 200 ms), each opening a session that must not outlive it.
    await waitUntil(() => lines.filter((l) => l.includes('"upstream unavailable"')).length >= 3, "three attempts");
    await waitUntil(() => invalid.sessionCount() === 0, "no session left on the upstream", 500);
    expect(connection.status().state).toBe("invalid");
  });

  it("ends unhealthy with the connection error when nothing listens at the URL, its cause included", async () => {
    const port = await freePort();
    const connection = await connectTo(`http://127.0.0.1:${port}/mcp`);
    // Not just the fetch wrapper's "fetch failed": the operator sees the refused connection and where.
    expect(connection.status()).toMatchObject({
      state: "unhealthy",
      lastError: expect.stringContaining(`ECONNREFUSED 127.0.0.1:${port}`) as unknown,
    });
    expect(connection.lastListing()).toBeUndefined();
  });

  it("ends its upstream session on close", async () => {
    const upstream = await startMcpFixture({ listTools: () => ({ tools: [tool("a")] }) });
    servers.push(upstream);
    const connection = await connectTo(upstream.url);
    expect(upstream.sessionCount()).toBe(1);
    await connection.close();
    expect(upstream.sessionCount()).toBe(0);
  });

  it("ends the session of an initialize still in flight when closed", async () => {
    const upstream = await startMcpFixture({ listTools: () => ({ tools: [tool("a")] }), initializeDelayMs: 100 });
    servers.push(upstream);
    const connection = create(upstream.url);
    connection.start();
    // The session exists upstream and its initialize reply is on hold: closing now must not abandon it.
    await waitUntil(() => upstream.initializeCount() === 1, "the initialize to reach the upstream");
    await connection.close();
    expect(upstream.sessionCount()).toBe(0);
    expect(connection.status().state).toBe("connecting");
  });

  it("ends the session of an initialize answered after the health timeout gave up on it", async () => {
    // The upstream opens the session at once but answers initialize only after the gateway stopped waiting (1 s).
    const upstream = await startMcpFixture({ listTools: () => ({ tools: [tool("a")] }), initializeDelayMs: 1_500 });
    servers.push(upstream);
    const connection = create(upstream.url);
    connection.start();
    await connection.firstAttempt;
    expect(connection.status().state).toBe("unhealthy");
    await connection.close();
    // Every session it opened, the timed-out one included, is ended once its late answer names it.
    await waitUntil(() => upstream.sessionCount() === 0, "every upstream session to be ended", 10_000);
    expect(upstream.initializeCount()).toBeGreaterThanOrEqual(1);
  });

  it("closes within the health timeout when the upstream never answers the session DELETE", async () => {
    const upstream = await startMcpFixture({ listTools: () => ({ tools: [tool("a")] }), stallDeletes: true });
    servers.push(upstream);
    const connection = await connectTo(upstream.url);
    const started = Date.now();
    await connection.close();
    expect(Date.now() - started).toBeLessThan(4_000); // vs never: generous on a loaded machine
  });

  it("stays ready while pings succeed", async () => {
    const upstream = await startMcpFixture({ listTools: () => ({ tools: [tool("a")] }) });
    servers.push(upstream);
    const connection = await connectTo(upstream.url);
    const checked = connection.status().lastCheckedAt;
    await waitUntil(() => connection.status().lastCheckedAt !== checked, "a health check");
    expect(connection.status().state).toBe("ready");
    expect(upstream.sessionCount()).toBe(1);
  });
});
