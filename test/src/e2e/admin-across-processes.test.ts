import { Client, StreamableHTTPClientTransport, type McpSubscription } from "@modelcontextprotocol/client";
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { pollUntil } from "../support/bounded-wait";
import { startPostgresServer } from "../support/postgres-server";
import { freePort, startRedisServer, type RedisServer } from "../support/redis-server";
import { connectClient, rawPost, type ConnectedClient } from "./mcp-client";
import { startGatewayStack, type GatewayStack } from "./gateway-stack";

jest.setTimeout(120_000);

// Envoy mode with router and broker apart on a real Redis: the admin API runs in the router, the client's GET stream
// is held by the broker. A policy change or a revocation made through the admin API must reach that stream, whichever
// store keeps the consumers (shared by both processes): the broker follows its connected consumers there.
const ADMIN_TOKEN = "admin-token-for-e2e-0123456789abcdef";

function access(adminPort: number, store: string): string {
  return `auth:
  apiKeys: { header: x-api-key }
policies:
  everything: { tools: ["*"], prompts: ["*"], resources: ["*"] }
  readers: { tools: ["weather_*", "notes_list_notes"] }
admin:
  listen: "127.0.0.1:${adminPort}"
  token: "${ADMIN_TOKEN}"
  store: "${store}"
`;
}

type Store = [label: string, start: (redis: RedisServer) => Promise<{ url: string; stop(): Promise<void> }>];

const STORES: Store[] = [
  ["Redis", (redis) => Promise.resolve({ url: redis.url, stop: () => Promise.resolve() })],
  ["PostgreSQL", () => startPostgresServer()],
];

describe.each(STORES)("admin changes reach the broker's streams in another process (%s consumer store)", (_, start) => {
  let redis: RedisServer;
  let store: { url: string; stop(): Promise<void> };
  let stack: GatewayStack;
  let admin: string;
  const clients: ConnectedClient[] = [];
  const modern: Client[] = [];
  const adminCall = (method: string, path: string, body: unknown) =>
    fetch(`${admin}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  const openStreams = async (): Promise<number> =>
    ((await (await fetch(`${stack.brokerBase}/status`)).json()) as { openStreams: number }).openStreams;
  const toolNames = async (connected: ConnectedClient): Promise<string[]> =>
    (await connected.client.listTools()).tools.map((tool) => tool.name);

  /** Registers `name` under `policy` and connects it with its GET stream open (counted by the broker). */
  async function connectedConsumer(name: string, policy: string): Promise<{ connected: ConnectedClient; key: string }> {
    const created = await adminCall("POST", "/consumers", { name, policy });
    expect(created.status).toBe(201);
    const { apiKey } = (await created.json()) as { apiKey: string };
    const streamsBefore = await openStreams();
    const connected = await connectClient(stack.url, name, { "x-api-key": apiKey });
    clients.push(connected);
    expect(await pollUntil(async () => (await openStreams()) > streamsBefore, 10_000)).toBe(true);
    return { connected, key: apiKey };
  }

  /** Counts the tools/list_changed notifications the client's GET stream delivers. */
  function countToolChanges(connected: ConnectedClient): () => number {
    let told = 0;
    connected.client.setNotificationHandler(ToolListChangedNotificationSchema, () => void told++);
    return () => told;
  }

  /** Registers `name` under `policy` and opens a 2026-07-28 `subscriptions/listen` stream for its list changes. */
  async function listeningConsumer(name: string, policy: string) {
    const created = await adminCall("POST", "/consumers", { name, policy });
    expect(created.status).toBe(201);
    const { apiKey } = (await created.json()) as { apiKey: string };
    const client = new Client(
      { name, version: "1.0.0" },
      { capabilities: {}, versionNegotiation: { mode: { pin: "2026-07-28" } } },
    );
    modern.push(client);
    let told = 0;
    client.setNotificationHandler("notifications/tools/list_changed", () => void told++);
    const transport = new StreamableHTTPClientTransport(new URL(stack.url), {
      requestInit: { headers: { "x-api-key": apiKey } },
    });
    await client.connect(transport, { timeout: 10_000 });
    const subscription: McpSubscription = await client.listen({ toolsListChanged: true }, { timeout: 10_000 });
    const tools = async (): Promise<string[]> => (await client.listTools()).tools.map((tool) => tool.name);
    return { subscription, told: () => told, tools };
  }

  beforeAll(async () => {
    redis = await startRedisServer();
    store = await start(redis);
    const adminPort = await freePort();
    admin = `http://127.0.0.1:${adminPort}`;
    stack = await startGatewayStack(
      { kind: "envoy", store: "redis", redisUrl: redis.url },
      { access: access(adminPort, store.url) },
    );
  });
  afterAll(async () => {
    for (const connected of clients) await connected.close();
    for (const client of modern) await client.close().catch(() => undefined);
    await stack.stop();
    await store.stop();
    await redis.stop();
  });

  it("widens: the consumer's GET stream is told tools/list_changed, and its next list has the new tools", async () => {
    const { connected } = await connectedConsumer("wendy", "readers");
    const told = countToolChanges(connected);
    expect(await toolNames(connected)).not.toContain("notes_add_note");
    expect((await adminCall("PATCH", "/consumers/wendy", { policy: "everything" })).status).toBe(200);
    expect(await pollUntil(() => told() > 0, 15_000)).toBe(true);
    expect(await toolNames(connected)).toContain("notes_add_note");
  });

  it("narrows: the consumer's GET stream is told its tools went away, and its next list lacks them", async () => {
    const { connected } = await connectedConsumer("nadia", "everything");
    const told = countToolChanges(connected);
    expect(await toolNames(connected)).toContain("notes_add_note");
    expect((await adminCall("PATCH", "/consumers/nadia", { policy: "readers" })).status).toBe(200);
    expect(await pollUntil(() => told() > 0, 15_000)).toBe(true);
    const tools = await toolNames(connected);
    expect(tools).not.toContain("notes_add_note");
    expect(tools).toContain("notes_list_notes");
  });

  it("revokes: the consumer's GET stream is closed and its next request refused", async () => {
    const { key } = await connectedConsumer("ruth", "readers");
    const streamsBefore = await openStreams();
    expect((await adminCall("DELETE", "/consumers/ruth", {})).status).toBe(200);
    expect(await pollUntil(async () => (await openStreams()) < streamsBefore, 15_000)).toBe(true);
    const ping = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" });
    expect(
      await pollUntil(async () => (await rawPost(stack.url, ping, { "x-api-key": key })).status === 401, 10_000),
    ).toBe(true);
  });

  it("widens for a 2026 client: its listen stream is told tools/list_changed, and its next list has the new tools", async () => {
    const listening = await listeningConsumer("lena", "readers");
    expect(await listening.tools()).not.toContain("notes_add_note");
    expect((await adminCall("PATCH", "/consumers/lena", { policy: "everything" })).status).toBe(200);
    expect(await pollUntil(() => listening.told() > 0, 15_000)).toBe(true);
    expect(await listening.tools()).toContain("notes_add_note");
  });

  it("revokes a 2026 client: its listen stream ends", async () => {
    const listening = await listeningConsumer("rita", "readers");
    let ended: string | undefined;
    void listening.subscription.closed.then((how) => (ended = how));
    expect((await adminCall("DELETE", "/consumers/rita", {})).status).toBe(200);
    expect(await pollUntil(() => ended !== undefined, 15_000)).toBe(true);
    expect(ended).toBe("remote");
  });
});
