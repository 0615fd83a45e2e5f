import type { Client } from "@modelcontextprotocol/client";
import { parseConfig } from "@mcp-gateway/core";
import { startServer as startNotes } from "../../../examples/notes-server/src/index";
import { startServer as startWeather, type RunningServer } from "../../../examples/weather-server/src/index";
import { gatewayYaml, postMcp, startBroker, waitUntil, type RunningBroker } from "../testing/broker-fixture";
import { connectModernClient, envelope, MODERN, modernPost } from "../testing/modern-client";

describe("the 2026-07-28 front end of the standalone gateway (SDK v2 client pinned to 2026-07-28)", () => {
  let weather: RunningServer;
  let notes: RunningServer;
  let gateway: RunningBroker;
  let client: Client;
  const servers = (): { name: string; url: string }[] => [
    { name: "weather", url: weather.url },
    { name: "notes", url: notes.url },
  ];

  beforeAll(async () => {
    [weather, notes] = await Promise.all([startWeather({ port: 0 }), startNotes({ port: 0 })]);
    gateway = await startBroker(gatewayYaml(servers()), { standalone: true });
    client = await connectModernClient(gateway.mcpUrl);
  });

  afterAll(async () => {
    await client.close();
    await gateway.close();
    await Promise.all([weather.close(), notes.close()]);
  });

  it("answers server/discover with the gateway's identity, the revision and what the upstreams offer", () => {
    const discover = client.getDiscoverResult();
    expect(client.getProtocolEra()).toBe("modern");
    expect(discover?.supportedVersions).toEqual([MODERN]);
    expect(discover?._meta?.["io.modelcontextprotocol/serverInfo"]).toEqual({ name: "mcp-gateway", version: "0.1.0" });
    expect(discover?.capabilities).toEqual({
      tools: { listChanged: true },
      prompts: { listChanged: true },
      resources: { listChanged: true },
      completions: {},
      logging: {},
    });
    // auth: none, so everyone sees the same: public, fresh for health.interval (200 ms in the fixture).
    expect(discover).toMatchObject({ ttlMs: 200, cacheScope: "public" });
  });

  it("lists every upstream's tools, prompts and resources under their prefixes", async () => {
    const tools = (await client.listTools()).tools.map((t) => t.name);
    expect(tools).toEqual(expect.arrayContaining(["weather_get_forecast", "notes_add_note"]));
    expect((await client.listPrompts()).prompts.map((p) => p.name)).toEqual(["weather_weather_report"]);
    expect((await client.listResources()).resources.map((r) => r.uri)).toEqual(["weather+weather://cities"]);
  });

  it("stamps lists with resultType, the gateway's serverInfo and cache hints", async () => {
    const reply = await modernPost(gateway.mcpUrl, "tools/list");
    expect(reply.status).toBe(200);
    expect(reply.json.id).toBe(7);
    expect(reply.json.result).toMatchObject({ resultType: "complete", ttlMs: 200, cacheScope: "public" });
    expect(reply.json.result._meta["io.modelcontextprotocol/serverInfo"]).toEqual({
      name: "mcp-gateway",
      version: "0.1.0",
    });
  });

  it.each(["initialize", "ping", "logging/setLevel", "resources/subscribe"])(
    "answers the removed method %s with 404 / -32601 and the request id",
    async (method) => {
      const params = method === "resources/subscribe" ? { uri: "weather+weather://cities" } : {};
      const reply = await modernPost(
        gateway.mcpUrl,
        method,
        method === "logging/setLevel" ? { level: "info" } : params,
      );
      expect(reply.status).toBe(404);
      expect(reply.json).toMatchObject({ id: 7, error: { code: -32601 } });
    },
  );

  it("rejects an Mcp-Method header that disagrees with the body: 400 / -32020 with the id", async () => {
    const reply = await modernPost(gateway.mcpUrl, "tools/list", {}, { "mcp-method": "prompts/list" });
    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({ id: 7, error: { code: -32020 } });
  });

  it("rejects an Mcp-Name header that disagrees with the body's tool name", async () => {
    const params = { name: "weather_get_forecast", arguments: { city: "Paris" } };
    const reply = await modernPost(gateway.mcpUrl, "tools/call", params, { "mcp-name": "notes_add_note" });
    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({ id: 7, error: { code: -32020 } });
  });

  it("rejects a modern MCP-Protocol-Version header on a body without the envelope: 400 / -32602", async () => {
    const body = { jsonrpc: "2.0", id: 9, method: "tools/list", params: {} };
    const reply = await postMcp(gateway.mcpUrl, body, { "mcp-protocol-version": MODERN, "mcp-method": "tools/list" });
    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({ id: 9, error: { code: -32602 } });
  });

  it("refuses an unsupported 2026-era revision with -32022 naming the supported one", async () => {
    const meta = { ...envelope(), "io.modelcontextprotocol/protocolVersion": "2099-01-01" };
    const body = { jsonrpc: "2.0", id: 3, method: "tools/list", params: { _meta: meta } };
    const reply = await postMcp(gateway.mcpUrl, body, {
      "mcp-protocol-version": "2099-01-01",
      "mcp-method": "tools/list",
    });
    expect(reply.status).toBe(400);
    expect(reply.json).toMatchObject({ id: 3, error: { code: -32022, data: { supported: [MODERN] } } });
  });

  it("still serves 2025-era clients on the session path", async () => {
    const init = { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "old", version: "1" } };
    const reply = await postMcp(gateway.mcpUrl, { jsonrpc: "2.0", id: 1, method: "initialize", params: init });
    expect(reply.status).toBe(200);
    expect(reply.headers.get("mcp-session-id")).not.toBeNull();
  });

  it("acknowledges a listen filter, then tells the stream when a config reload removes tools", async () => {
    const changed: string[] = [];
    client.setNotificationHandler("notifications/tools/list_changed", () => {
      changed.push("tools");
    });
    const subscription = await client.listen({ toolsListChanged: true, promptsListChanged: true });
    expect(subscription.honoredFilter).toEqual({ toolsListChanged: true, promptsListChanged: true });
    await gateway.context.reconfigure(parseConfig(gatewayYaml(servers().slice(0, 1)), {}));
    await waitUntil(() => changed.length > 0, "tools/list_changed on the listen stream");
    expect((await client.listTools()).tools.map((t) => t.name).some((name) => name.startsWith("notes_"))).toBe(false);
    await subscription.close();
    await gateway.context.reconfigure(parseConfig(gatewayYaml(servers()), {}));
  });
});
