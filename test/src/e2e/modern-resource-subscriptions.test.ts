import { hashApiKey } from "@mcp-gateway/core";
import type { RunningServer } from "@mcp-gateway/example-kit";
import { Client, StreamableHTTPClientTransport, type McpSubscription } from "@modelcontextprotocol/client";
import { startConformanceFixture } from "../conformance/fixture-server";
import { startModernConformanceFixture } from "../conformance/modern-fixture-server";
import { pollUntil } from "../support/bounded-wait";
import { startGatewayStack, type GatewayStack } from "./gateway-stack";
import { deployments } from "./stack-modes";

jest.setTimeout(120_000);

// A 2026-07-28 client (SDK v2, pinned) listens with resourceSubscriptions through the gateway, with the 2025
// conformance fixture ("old": resources/subscribe on a backend session, updates on its GET stream) and the 2026 one
// ("fresh": a subscriptions/listen stream of the gateway's) behind it, in every deployment: the filter is honoured for
// the resources the consumer may read and only those, each update arrives with the exposed URI on the stream that
// asked, and closing the listen stream ends the upstream subscription.
const modes = deployments();
afterAll(async () => {
  await modes.stop();
});

const KEY = "watcher-key-0123456789abcdef0123456789";
const TOOLS_KEY = "toolsonly-key-0123456789abcdef01234567";
const ACCESS = `auth: { apiKeys: { header: authorization } }
consumers:
  - { name: watcher, keyHash: "${hashApiKey(KEY)}", policy: watched-only }
  - { name: toolsonly, keyHash: "${hashApiKey(TOOLS_KEY)}", policy: tools-only }
policies:
  tools-only: { servers: [old, fresh], tools: ["*"] }
  watched-only: { servers: [old, fresh], tools: ["*"], resources: ["old+test://watched-resource", "fresh+test://watched-resource"] }
`;
const OLD_WATCHED = "old+test://watched-resource";
const FRESH_WATCHED = "fresh+test://watched-resource";
const FRESH_FORBIDDEN = "fresh+test://static-text";
const OLD_FORBIDDEN = "old+test://static-text";
const MAX_STREAMS = 2;
const TIMEOUT = { timeout: 10_000 };

interface Watcher {
  client: Client;
  updates: { uri: string; subscriptionId: unknown }[];
}

async function connect(url: string, key = KEY): Promise<Watcher> {
  const client = new Client(
    { name: "resource-watcher", version: "1.0.0" },
    { capabilities: {}, versionNegotiation: { mode: { pin: "2026-07-28" } } },
  );
  const updates: Watcher["updates"] = [];
  client.setNotificationHandler("notifications/resources/updated", (notification) => {
    const meta = notification.params._meta as Record<string, unknown> | undefined;
    updates.push({ uri: notification.params.uri, subscriptionId: meta?.["io.modelcontextprotocol/subscriptionId"] });
  });
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { authorization: `Bearer ${key}` } },
  });
  await client.connect(transport, TIMEOUT);
  return { client, updates };
}

const textOf = (result: { content?: unknown }): string =>
  ((result.content as { text?: string }[] | undefined) ?? []).map((c) => c.text ?? "").join("");

describe.each(modes.all)("2026 client's resourceSubscriptions through the gateway (%s)", (_label, mode) => {
  let old: RunningServer;
  let fresh: RunningServer;
  let stack: GatewayStack;
  const open: (Watcher | McpSubscription)[] = [];

  const listen = async (watcher: Watcher, uris: string[]): Promise<McpSubscription> => {
    const subscription = await watcher.client.listen({ resourceSubscriptions: uris }, TIMEOUT);
    open.push(subscription);
    return subscription;
  };
  const watcher = async (key = KEY): Promise<Watcher> => {
    const connected = await connect(stack.url, key);
    open.push(connected);
    return connected;
  };

  beforeAll(async () => {
    old = await startConformanceFixture({ port: 0 });
    fresh = await startModernConformanceFixture({ port: 0 });
    stack = await startGatewayStack(await mode(), {
      extraServers: [`name: old, url: "${old.url}"`, `name: fresh, url: "${fresh.url}"`],
      limits: `maxUpstreamStreams: ${MAX_STREAMS}`,
      access: ACCESS,
    });
  });
  afterEach(async () => {
    for (const item of open.splice(0).reverse()) {
      if ("honoredFilter" in item) await item.close().catch(() => undefined);
      else await item.client.close().catch(() => undefined);
    }
  });
  afterAll(async () => {
    await stack?.stop();
    await fresh?.close();
    await old?.close();
  });

  it("offers resource subscriptions in server/discover", async () => {
    const a = await watcher();
    expect(a.client.getServerCapabilities()?.resources?.subscribe).toBe(true);
  });

  it("offers no resource subscriptions to a consumer that sees no resource, and honours none", async () => {
    const a = await watcher(TOOLS_KEY);
    expect(a.client.getServerCapabilities()?.resources).toBeUndefined();
    expect((await listen(a, [OLD_WATCHED, FRESH_WATCHED])).honoredFilter).toEqual({});
  });

  it("honours the URIs the consumer may read and leaves the forbidden ones out", async () => {
    const a = await watcher();
    const subscription = await listen(a, [OLD_WATCHED, OLD_FORBIDDEN, FRESH_WATCHED, FRESH_FORBIDDEN]);
    expect(subscription.honoredFilter).toEqual({ resourceSubscriptions: [OLD_WATCHED, FRESH_WATCHED] });
  });

  it("delivers a 2026 upstream's update with the exposed URI, tagged with the subscription id", async () => {
    const a = await watcher();
    await listen(a, [FRESH_WATCHED]);
    await a.client.callTool({ name: "fresh_test_watched_resource_update", arguments: {} }, TIMEOUT);
    expect(await pollUntil(() => a.updates.length > 0, 5_000)).toBe(true);
    expect(a.updates).toEqual([{ uri: FRESH_WATCHED, subscriptionId: expect.anything() }]);
  });

  it("delivers a 2025 upstream's update with the exposed URI, tagged with the subscription id", async () => {
    const a = await watcher();
    await listen(a, [OLD_WATCHED]);
    const result = await a.client.callTool({ name: "old_test_watched_resource_update", arguments: {} }, TIMEOUT);
    expect(textOf(result)).toContain("for 1 subscribed resource(s)");
    expect(await pollUntil(() => a.updates.length > 0, 5_000)).toBe(true);
    expect(a.updates).toEqual([{ uri: OLD_WATCHED, subscriptionId: expect.anything() }]);
  });

  it("sends updates only to the stream that asked for the resource", async () => {
    const a = await watcher();
    const b = await watcher();
    await listen(a, [FRESH_WATCHED]);
    await listen(b, [OLD_WATCHED]);
    await a.client.callTool({ name: "fresh_test_watched_resource_update", arguments: {} }, TIMEOUT);
    expect(await pollUntil(() => a.updates.length > 0, 5_000)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(b.updates).toEqual([]);
  });

  it("unsubscribes a 2025 upstream when the listen stream closes", async () => {
    const a = await watcher();
    const subscription = await listen(a, [OLD_WATCHED]);
    const update = { name: "old_test_watched_resource_update", arguments: {} };
    expect(textOf(await a.client.callTool(update, TIMEOUT))).toContain("for 1 subscribed resource(s)");
    await subscription.close();
    const unsubscribed = await pollUntil(
      async () => textOf(await a.client.callTool(update, TIMEOUT)).includes("for 0 subscribed"),
      5_000,
    );
    expect(unsubscribed).toBe(true);
  });

  it("closes a 2026 upstream's stream when the listen stream closes (its stream budget comes back)", async () => {
    const a = await watcher();
    const held = [await listen(a, [FRESH_WATCHED]), await listen(a, [FRESH_WATCHED])];
    // The budget is spent: a third stream's filter is not honoured.
    expect((await listen(a, [FRESH_WATCHED])).honoredFilter).toEqual({});
    await held[0]?.close();
    const reopened = await pollUntil(async () => {
      const next = await listen(a, [FRESH_WATCHED]);
      return next.honoredFilter.resourceSubscriptions?.length === 1;
    }, 5_000);
    expect(reopened).toBe(true);
  });
});
