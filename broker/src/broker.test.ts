import { createServer } from "node:net";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { Catalog, createLogger, silentLogger } from "@mcp-gateway/core";
import { startServer as startNotes } from "../../examples/notes-server/src/index";
import { startServer as startWeather, type RunningServer } from "../../examples/weather-server/src/index";
import { createBroker } from "./broker";
import {
  brokerStatus,
  connectSdkClient,
  gatewayYaml,
  initializeSession,
  openEventStream,
  startBroker,
  waitUntil,
  type EventStream,
  type RunningBroker,
} from "./testing/broker-fixture";

describe("a real SDK client through the broker", () => {
  let weather: RunningServer;
  let notes: RunningServer;
  let gateway: RunningBroker;
  let client: Client;

  beforeAll(async () => {
    [weather, notes] = await Promise.all([startWeather({ port: 0 }), startNotes({ port: 0 })]);
    gateway = await startBroker(
      gatewayYaml([
        { name: "weather", url: weather.url },
        { name: "notes", url: notes.url },
      ]),
    );
    client = await connectSdkClient(gateway.mcpUrl);
  });

  afterAll(async () => {
    await client.close();
    await gateway.close();
    await Promise.all([weather.close(), notes.close()]);
  });

  it("lists the tools of both servers under their prefixes", async () => {
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(["weather_get_forecast", "weather_get_alerts", "notes_add_note"]));
    expect(names.every((name) => name.startsWith("weather_") || name.startsWith("notes_"))).toBe(true);
  });

  it("lists weather's prompt under its prefix", async () => {
    const names = (await client.listPrompts()).prompts.map((p) => p.name);
    expect(names).toEqual(["weather_weather_report"]);
  });

  it("lists weather's resource by its prefixed URI", async () => {
    const uris = (await client.listResources()).resources.map((r) => r.uri);
    expect(uris).toEqual(["weather+weather://cities"]);
  });

  it("answers ping", async () => {
    await expect(client.ping()).resolves.toEqual({});
  });
});

/** Flips notes' search feature through a separate client connected straight to the notes server. */
async function callNotes(url: string, tool: "enable_search" | "disable_search"): Promise<void> {
  const direct = await connectSdkClient(url, "notes-switch");
  try {
    await direct.callTool({ name: tool, arguments: {} });
  } finally {
    await direct.close();
  }
}

function countToolListChanges(client: Client): { count: number } {
  const seen = { count: 0 };
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
    seen.count += 1;
  });
  return seen;
}

describe("list_changed relay", () => {
  let notes: RunningServer;
  let gateway: RunningBroker;
  const clients: Client[] = [];
  const streams: EventStream[] = [];

  // A fresh notes server per test: its search switch is global state.
  beforeEach(async () => {
    notes = await startNotes({ port: 0 });
    gateway = await startBroker(gatewayYaml([{ name: "notes", url: notes.url }]));
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    for (const stream of streams.splice(0)) stream.close();
    await gateway.close();
    await notes.close();
  });

  /** The SDK opens its GET stream after connect returns; a notification sent before that is lost. */
  const waitForStreams = (n: number) =>
    waitUntil(async () => (await brokerStatus(gateway.base)).openStreams >= n, `${n} open streams`);

  async function connected(): Promise<{ client: Client; seen: { count: number } }> {
    const client = await connectSdkClient(gateway.mcpUrl);
    clients.push(client);
    return { client, seen: countToolListChanges(client) };
  }

  it("notifies a client when an upstream's tools change, and the next listTools shows the new tool", async () => {
    const { client, seen } = await connected();
    await waitForStreams(1);
    expect((await client.listTools()).tools.map((t) => t.name)).not.toContain("notes_search_notes");
    await callNotes(notes.url, "enable_search");
    await waitUntil(() => seen.count >= 1, "tools/list_changed");
    expect((await client.listTools()).tools.map((t) => t.name)).toContain("notes_search_notes");
  });

  it("notifies every connected client", async () => {
    const first = await connected();
    const second = await connected();
    await waitForStreams(2);
    await callNotes(notes.url, "enable_search");
    await waitUntil(() => first.seen.count >= 1 && second.seen.count >= 1, "both clients notified");
  });

  it("sends a session holding two GET streams each notification once", async () => {
    const session = await initializeSession(gateway.mcpUrl);
    const headers = { accept: "text/event-stream", "mcp-session-id": session };
    streams.push(await openEventStream(gateway.mcpUrl, headers), await openEventStream(gateway.mcpUrl, headers));
    await waitForStreams(2);
    const received = () => streams.flatMap((s) => s.messages);
    await callNotes(notes.url, "enable_search");
    await waitUntil(() => received().length >= 1, "the notification");
    // A duplicate would be written in the same tick as the first copy; give it ample time to show up.
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(received()).toEqual([{ jsonrpc: "2.0", method: "notifications/tools/list_changed" }]);
  });

  it("counts relayed notifications in mcp_broker_notifications_relayed_total", async () => {
    const { seen } = await connected();
    await waitForStreams(1);
    await callNotes(notes.url, "enable_search");
    await waitUntil(() => seen.count >= 1, "tools/list_changed");
    const text = await (await fetch(`${gateway.base}/metrics`)).text();
    expect(text).toContain('mcp_broker_notifications_relayed_total{kind="tools"} 1');
  });
});

describe("listen and close", () => {
  let weather: RunningServer;
  let gateway: RunningBroker;

  beforeAll(async () => {
    weather = await startWeather({ port: 0 });
    gateway = await startBroker(gatewayYaml([{ name: "weather", url: weather.url }]));
  });

  afterAll(async () => {
    await gateway.close();
    await weather.close();
  });

  it("rejects when the port is taken", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const taken = (blocker.address() as { port: number }).port;
    const second = createBroker(silentLogger);
    second.attach(gateway.context);
    try {
      await expect(second.listen("127.0.0.1", taken)).rejects.toMatchObject({ code: "EADDRINUSE" });
    } finally {
      await second.close();
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it("logs a list change at info only when some client was told of it", async () => {
    const lines: { level: string; msg: string }[] = [];
    const logger = createLogger({
      level: "info",
      sink: { write: (line) => void lines.push(JSON.parse(line) as { level: string; msg: string }) },
    });
    const own = createBroker(logger);
    own.attach(gateway.context);
    try {
      own.onCatalogChange(gateway.context.upstreams.catalog(), Catalog.empty());
      expect(lines.filter((line) => line.msg === "relayed list change")).toEqual([]);
    } finally {
      await own.close();
    }
  });

  it("ends open GET streams and stops listening on close", async () => {
    const own = createBroker(silentLogger);
    own.attach(gateway.context);
    const port = await own.listen("127.0.0.1", 0);
    const url = `http://127.0.0.1:${port}/mcp`;
    const session = await initializeSession(url);
    const stream = await openEventStream(url, { accept: "text/event-stream", "mcp-session-id": session });
    await waitUntil(() => own.hub.size === 1, "the stream to register");
    await own.close();
    await stream.ended;
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });
});
