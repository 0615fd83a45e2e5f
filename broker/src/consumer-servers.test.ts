import { hashApiKey } from "@mcp-gateway/core";
import { startServer as startWeather, type RunningServer } from "../../examples/weather-server/src/index";
import { startServer as startNotes } from "../../examples/notes-server/src/index";
import { gatewayYaml, INIT_PARAMS, postMcp, startBroker, type RunningBroker } from "./testing/broker-fixture";
import { CONSUMER_SERVERS_METHOD } from "./consumer-servers";

// `mcpgateway/servers` on /mcp: the servers a consumer's policy lets it use, with health, never one outside it.
const KEYS = { alice: "mcpgw_servers_alice_0123456789abcdef", ops: "mcpgw_servers_ops_0123456789abcdef" };
const access = `consumers:
  - { name: alice, keyHash: "${hashApiKey(KEYS.alice)}", policy: weather }
  - { name: ops, keyHash: "${hashApiKey(KEYS.ops)}", policy: all }
policies:
  weather: { tools: ["weather_*", "down_*"] }
  all: { tools: ["*"], prompts: ["*"], resources: ["*"] }`;

let weather: RunningServer;
let notes: RunningServer;
let gateway: RunningBroker;

beforeAll(async () => {
  [weather, notes] = await Promise.all([startWeather({ port: 0 }), startNotes({ port: 0 })]);
  const servers = [
    { name: "weather", url: weather.url },
    { name: "notes", url: notes.url },
    // Nothing listens here: the server is down, and its error names an address a consumer must not learn.
    { name: "down", url: "http://127.0.0.1:9/mcp" },
  ];
  gateway = await startBroker(gatewayYaml(servers, access), { standalone: true });
});
afterAll(async () => {
  await gateway?.close();
  await Promise.all([weather?.close(), notes?.close()]);
});

async function serversOf(key: string): Promise<Record<string, unknown>[]> {
  const headers = { authorization: `Bearer ${key}` };
  const init = await postMcp(
    gateway.mcpUrl,
    { jsonrpc: "2.0", id: 1, method: "initialize", params: INIT_PARAMS },
    headers,
  );
  const session = init.headers.get("mcp-session-id") ?? "";
  const reply = await postMcp(
    gateway.mcpUrl,
    { jsonrpc: "2.0", id: 2, method: CONSUMER_SERVERS_METHOD },
    { ...headers, "mcp-session-id": session, "mcp-protocol-version": INIT_PARAMS.protocolVersion },
  );
  expect(reply.status).toBe(200);
  return (reply.json as { result: { servers: Record<string, unknown>[] } }).result.servers;
}

describe(`${CONSUMER_SERVERS_METHOD} on /mcp`, () => {
  it("lists only the servers the consumer's policy reaches, counting what it may see", async () => {
    const servers = await serversOf(KEYS.alice);
    expect(servers.map((s) => s.name)).toEqual(["weather", "down"]);
    expect(servers[0]).toMatchObject({ state: "ready", generation: "2025", prompts: 0 });
    expect(servers[0]?.tools).toBeGreaterThan(0);
  });

  it("shows a down server's state and last error with its address hidden, and never its URL", async () => {
    const down = (await serversOf(KEYS.alice)).find((s) => s.name === "down");
    expect(down?.state).not.toBe("ready");
    expect(typeof down?.lastError).toBe("string");
    expect(JSON.stringify(down)).not.toMatch(/127\.0\.0\.1|:9\b|http:/);
    expect(down).not.toHaveProperty("url");
  });

  it("lists every server for a policy allowing everything", async () => {
    const servers = await serversOf(KEYS.ops);
    expect(servers.map((s) => s.name)).toEqual(["weather", "notes", "down"]);
  });

  it("is refused without a key, like any /mcp request", async () => {
    const reply = await postMcp(gateway.mcpUrl, { jsonrpc: "2.0", id: 2, method: CONSUMER_SERVERS_METHOD });
    expect(reply.status).toBe(401);
  });
});
