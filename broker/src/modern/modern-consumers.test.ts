import type { Client } from "@modelcontextprotocol/client";
import { hashApiKey, parseConfig } from "@mcp-gateway/core";
import { startServer as startNotes } from "../../../examples/notes-server/src/index";
import { startServer as startWeather, type RunningServer } from "../../../examples/weather-server/src/index";
import { gatewayYaml, startBroker, waitUntil, type RunningBroker } from "../testing/broker-fixture";
import { connectModernClient, modernPost } from "../testing/modern-client";

const KEYS = { everything: "mcpgw_modern_everything_key_0123456789", weather: "mcpgw_modern_weather_key_0123456789" };
const bearer = (who: keyof typeof KEYS): Record<string, string> => ({ authorization: `Bearer ${KEYS[who]}` });

/** Two consumers: one sees every tool, the other only weather's tools (and nothing else). */
const consumers = `consumers:
  - { name: everything, keyHash: "${hashApiKey(KEYS.everything)}", policy: all }
  - { name: weather, keyHash: "${hashApiKey(KEYS.weather)}", policy: weather }
policies:
  all: { tools: ["*"], prompts: ["*"], resources: ["*"] }
  weather: { tools: ["weather_*"] }
`;

describe("modern lists and listen streams per consumer", () => {
  let weather: RunningServer;
  let notes: RunningServer;
  let gateway: RunningBroker;
  let everything: Client;
  let weatherOnly: Client;
  const servers = (): { name: string; url: string }[] => [
    { name: "weather", url: weather.url },
    { name: "notes", url: notes.url },
  ];

  beforeAll(async () => {
    [weather, notes] = await Promise.all([startWeather({ port: 0 }), startNotes({ port: 0 })]);
    gateway = await startBroker(gatewayYaml(servers(), consumers), { standalone: true });
    [everything, weatherOnly] = await Promise.all([
      connectModernClient(gateway.mcpUrl, bearer("everything")),
      connectModernClient(gateway.mcpUrl, bearer("weather")),
    ]);
  });

  afterAll(async () => {
    await Promise.all([everything.close(), weatherOnly.close()]);
    await gateway.close();
    await Promise.all([weather.close(), notes.close()]);
  });

  it("refuses a modern request without credentials (401)", async () => {
    expect((await modernPost(gateway.mcpUrl, "tools/list")).status).toBe(401);
  });

  it("offers each consumer only the capabilities it can use", () => {
    expect(Object.keys(everything.getDiscoverResult()?.capabilities ?? {}).sort()).toEqual(
      ["completions", "logging", "prompts", "resources", "tools"].sort(),
    );
    expect(weatherOnly.getDiscoverResult()?.capabilities).toEqual({ tools: { listChanged: true }, logging: {} });
    expect(weatherOnly.getDiscoverResult()?.cacheScope).toBe("private");
  });

  it("filters lists by policy and marks them private, even for a consumer that sees everything", async () => {
    const names = (await weatherOnly.listTools()).tools.map((t) => t.name);
    expect(names.length).toBeGreaterThan(0);
    expect(names.every((name) => name.startsWith("weather_"))).toBe(true);
    for (const who of ["everything", "weather"] as const) {
      const reply = await modernPost(gateway.mcpUrl, "tools/list", {}, bearer(who));
      // A public list could be served from a shared cache to a consumer whose policy hides part of it.
      expect(reply.json.result.cacheScope).toBe("private");
    }
  });

  it("tells a listen stream only about changes its consumer can see", async () => {
    const told = { everything: 0, weather: 0 };
    everything.setNotificationHandler("notifications/tools/list_changed", () => void told.everything++);
    weatherOnly.setNotificationHandler("notifications/tools/list_changed", () => void told.weather++);
    const streams = await Promise.all([
      everything.listen({ toolsListChanged: true }),
      weatherOnly.listen({ toolsListChanged: true }),
    ]);
    // notes goes away: only the consumer that could see notes' tools hears of it.
    await gateway.context.reconfigure(parseConfig(gatewayYaml(servers().slice(0, 1), consumers), {}));
    await waitUntil(() => told.everything === 1, "everything told about notes' tools");
    // weather is swapped for notes: now the weather-only consumer's own list changes (to empty).
    await gateway.context.reconfigure(parseConfig(gatewayYaml(servers().slice(1), consumers), {}));
    await waitUntil(() => told.weather === 1 && told.everything === 2, "both told about weather's tools");
    expect(told).toEqual({ everything: 2, weather: 1 });
    await Promise.all(streams.map((stream) => stream.close()));
  });
});
