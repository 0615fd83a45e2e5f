import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { createLogger, silentLogger, UpstreamManager, xMcpHeaderProblem, type Logger } from "@mcp-gateway/core";
import { fixtureConfig, startMcpFixture, waitUntil } from "../../../core/src/testing/fixture-server";
import { startModernUpstream, type ModernTool, type ModernUpstream } from "../support/modern-upstream";

const CLIENT_INFO = { name: "gateway-test", version: "0.0.0" };
const tool = (name: string, properties: Record<string, unknown> = {}): ModernTool => ({
  name,
  inputSchema: { type: "object", properties },
});

function capture(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ sink: { write: (l: string) => lines.push(JSON.parse(l) as Record<string, unknown>) } });
  return { logger, lines };
}

describe("upstream generation", () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  async function manage(servers: Record<string, string>, logger: Logger = silentLogger, interval = "100ms") {
    const manager = new UpstreamManager(fixtureConfig(servers, { interval }).health, {
      logger,
      clientInfo: CLIENT_INFO,
    });
    closers.push(() => manager.close());
    await manager.configure(fixtureConfig(servers, { interval }));
    await manager.settled();
    return manager;
  }

  async function modern(options: Parameters<typeof startModernUpstream>[0] = {}): Promise<ModernUpstream> {
    const upstream = await startModernUpstream(options);
    closers.push(() => upstream.close());
    return upstream;
  }

  it("detects a 2026 upstream by server/discover and a 2025 one by its answer, and shows it in the status", async () => {
    const upstream = await modern();
    const legacy = await startMcpFixture();
    closers.push(() => legacy.close());
    const manager = await manage({ fresh: upstream.url, old: legacy.url });
    const statuses = Object.fromEntries(manager.statuses().map((s) => [s.name, s]));
    expect(statuses["fresh"]).toMatchObject({ state: "ready", generation: "2026", protocolVersion: "2026-07-28" });
    expect(statuses["old"]).toMatchObject({ state: "ready", generation: "2025" });
    expect(manager.catalog().resolveTool("fresh_echo")).toMatchObject({ name: "echo" });
    // Stateless: nothing reached the 2026 upstream but envelope-carrying requests (no initialize, no session).
    expect(upstream.requests.map((r) => r.method)).not.toContain("initialize");
    for (const request of upstream.requests) expect(request.headers["mcp-session-id"]).toBeUndefined();
  });

  it("lists every page of a 2026 upstream and keeps the cache hints of each list", async () => {
    const tools = ["a", "b", "c", "d", "e"].map((name) => tool(name));
    const upstream = await modern({ tools, pageSize: 2, ttlMs: 60_000, cacheScope: "private" });
    const manager = await manage({ fresh: upstream.url });
    expect(
      manager
        .catalog()
        .listTools()
        .map((t) => t["name"]),
    ).toEqual(["a", "b", "c", "d", "e"].map((n) => `fresh_${n}`));
    expect(upstream.requests.filter((r) => r.method === "tools/list").map((r) => r.params["cursor"])).toEqual([
      undefined,
      "2",
      "4",
    ]);
    expect(manager.statuses()[0]?.listHints["tools/list"]).toEqual({ ttlMs: 60_000, cacheScope: "private" });
    expect(manager.listHints("fresh")).toEqual({ "tools/list": { ttlMs: 60_000, cacheScope: "private" } });
    expect(manager.generation("fresh")).toBe("2026");
    expect(manager.generation("nothing")).toBeUndefined();
  });

  it("drops a 2026 upstream's tool whose x-mcp-header annotation is invalid, naming it in a warning", async () => {
    const { logger, lines } = capture();
    const upstream = await modern({
      tools: [
        tool("good", { region: { type: "string", "x-mcp-header": "Region" } }),
        tool("spaced", { region: { type: "string", "x-mcp-header": "Bad Header" } }),
        tool("objecty", { filter: { type: "object", "x-mcp-header": "Filter" } }),
      ],
    });
    const manager = await manage({ fresh: upstream.url }, logger);
    expect(
      manager
        .catalog()
        .listTools()
        .map((t) => t["name"]),
    ).toEqual(["fresh_good"]);
    expect(manager.statuses()[0]?.droppedTools).toEqual(["spaced", "objecty"]);
    const warned = lines.filter((l) => l["msg"] === "upstream item dropped").map((l) => l["item"]);
    expect(warned).toEqual(["spaced", "objecty"]);
  });

  it("re-lists a 2026 upstream when its subscriptions/listen stream says the tools changed", async () => {
    const upstream = await modern();
    // A long health interval: only the listen notification can explain a re-list within the wait.
    const manager = await manage({ fresh: upstream.url }, silentLogger, "1h");
    upstream.setTools([tool("echo"), tool("added")]);
    await waitUntil(() => upstream.requests.some((r) => r.method === "subscriptions/listen"), "the listen stream");
    upstream.toolsChanged();
    await waitUntil(() => manager.catalog().resolveTool("fresh_added") !== undefined, "the re-list");
  });

  it("re-lists a 2026 upstream once the ttlMs of its list has run out", async () => {
    const upstream = await modern({ ttlMs: 150 });
    const manager = await manage({ fresh: upstream.url });
    upstream.setTools([tool("echo"), tool("later")]);
    await waitUntil(() => manager.catalog().resolveTool("fresh_later") !== undefined, "the re-list after ttlMs");
  });
});

describe("x-mcp-header validation (differential against the SDK v2 client's own filter)", () => {
  const schemas: [string, Record<string, unknown>][] = [
    ["valid", { type: "object", properties: { r: { type: "string", "x-mcp-header": "Region" } } }],
    [
      "nested",
      {
        type: "object",
        properties: { a: { type: "object", properties: { b: { type: "integer", "x-mcp-header": "B" } } } },
      },
    ],
    ["empty", { type: "object", properties: { r: { type: "string", "x-mcp-header": "" } } }],
    ["space", { type: "object", properties: { r: { type: "string", "x-mcp-header": "A B" } } }],
    ["crlf", { type: "object", properties: { r: { type: "string", "x-mcp-header": "A\r\nB" } } }],
    ["colon", { type: "object", properties: { r: { type: "string", "x-mcp-header": "A:B" } } }],
    ["not a string", { type: "object", properties: { r: { type: "string", "x-mcp-header": 7 } } }],
    ["object type", { type: "object", properties: { r: { type: "object", "x-mcp-header": "R" } } }],
    ["array type", { type: "object", properties: { r: { type: "array", "x-mcp-header": "R" } } }],
    ["no type", { type: "object", properties: { r: { "x-mcp-header": "R" } } }],
    ["boolean", { type: "object", properties: { r: { type: "boolean", "x-mcp-header": "R" } } }],
    [
      "case duplicate",
      {
        type: "object",
        properties: { a: { type: "string", "x-mcp-header": "R" }, b: { type: "string", "x-mcp-header": "r" } },
      },
    ],
    ["at root", { type: "object", "x-mcp-header": "Root", properties: {} }],
    [
      "under items",
      { type: "object", properties: { l: { type: "array", items: { type: "string", "x-mcp-header": "I" } } } },
    ],
    ["under anyOf", { type: "object", anyOf: [{ properties: { r: { type: "string", "x-mcp-header": "R" } } }] }],
    ["under $defs", { type: "object", $defs: { d: { type: "string", "x-mcp-header": "D" } } }],
    ["under additionalProperties", { type: "object", additionalProperties: { type: "string", "x-mcp-header": "A" } }],
  ];

  it("keeps and drops exactly the tools the SDK client keeps and drops", async () => {
    const tools = schemas.map(([name, inputSchema]) => ({ name: name.replace(/\W/g, "_"), inputSchema }));
    const upstream = await startModernUpstream({ tools });
    const client = new Client({ name: "differential", version: "0" }, { versionNegotiation: { mode: "auto" } });
    const warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
    try {
      await client.connect(new StreamableHTTPClientTransport(new URL(upstream.url)));
      const kept = new Set((await client.listTools()).tools.map((t) => t.name));
      const ours = new Set(tools.filter((t) => xMcpHeaderProblem(t.inputSchema) === undefined).map((t) => t.name));
      expect([...ours].sort()).toEqual([...kept].sort());
      // Both verdicts exist: the table holds valid and invalid cases.
      expect(kept.size).toBeGreaterThan(1);
      expect(kept.size).toBeLessThan(tools.length);
    } finally {
      warn.mockRestore();
      await client.close();
      await upstream.close();
    }
  });
});
