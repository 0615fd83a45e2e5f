import type { RunningServer } from "@mcp-gateway/example-kit";
import { Client, StreamableHTTPClientTransport, type McpSubscription } from "@modelcontextprotocol/client";
import { startConformanceFixture } from "../conformance/fixture-server";
import { startModernConformanceFixture } from "../conformance/modern-fixture-server";
import { pollUntil } from "../support/bounded-wait";
import { clientToken, startOAuthProvider, type OAuthProvider } from "../support/oauth-provider";
import {
  startTokenRecordingProxy,
  type ProxiedRequest,
  type TokenRecordingProxy,
} from "../support/token-recording-proxy";
import { connectClient } from "./mcp-client";
import { startGatewayStack, type GatewayStack } from "./gateway-stack";
import { deployments } from "./stack-modes";

jest.setTimeout(120_000);

// Resource subscriptions made on a consumer's behalf to passthrough upstreams (both generations, behind proxies that
// verify and record each request's token): a 2026 client's listen with resourceSubscriptions (a backend session,
// its GET stream and resources/subscribe on the 2025 server; a subscriptions/listen stream on the 2026 one), and a
// legacy client's resources/subscribe for the 2026 server. Each must carry the caller's own token; the gateway's
// discovery token (mcp-gateway) is for its listing and health traffic only.
const GATEWAY = "http://gateway.test/mcp";
const GATEWAY_CLIENT = {
  client_id: "mcp-gateway",
  client_secret: "gw-secret-subscriptions-4a7e",
  grant_types: ["client_credentials"],
};
const ALICE = { client_id: "alice", client_secret: "alice-secret-77b1", grant_types: ["client_credentials"] };
const OLD_WATCHED = "old+test://watched-resource";
const FRESH_WATCHED = "fresh+test://watched-resource";
const TIMEOUT = { timeout: 10_000 };

const modes = deployments();
const MODES = modes.all;
afterAll(async () => {
  await modes.stop();
});

/** The requests of alice's upstream sessions (initialized under her token), and any session that mixed parties. */
function parties(seen: readonly ProxiedRequest[]): { alice: ProxiedRequest[]; mixed: string[] } {
  const bySession = new Map<string, Set<string | undefined>>();
  for (const request of seen) {
    if (request.sessionId === undefined) continue;
    const set = bySession.get(request.sessionId) ?? new Set();
    bySession.set(request.sessionId, set.add(request.subject ?? request.refused));
  }
  const mixed = [...bySession].filter(([, set]) => set.size > 1).map(([id]) => id);
  const mine = new Set([...bySession].filter(([, set]) => set.size === 1 && set.has("alice")).map(([id]) => id));
  return { alice: seen.filter((request) => mine.has(request.sessionId ?? "")), mixed };
}

describe.each(MODES)("per-consumer credentials on resource subscriptions (%s)", (_label, mode) => {
  let provider: OAuthProvider;
  let old: RunningServer;
  let fresh: RunningServer;
  const proxy: Record<string, TokenRecordingProxy> = {};
  let stack: GatewayStack;
  const open: (Client | McpSubscription)[] = [];

  const aliceAuth = async (): Promise<string> => `Bearer ${await clientToken(provider, ALICE, GATEWAY)}`;
  const server = (name: string): string =>
    `name: ${name}, url: "${proxy[name]?.url}", auth: { type: passthrough, audience: "${GATEWAY}", discovery: { tokenUrl: "${provider.tokenUrl}", clientId: ${GATEWAY_CLIENT.client_id}, clientSecret: "\${env:E2E_SUB_SECRET}", resource: "${GATEWAY}" } }`;

  beforeAll(async () => {
    provider = await startOAuthProvider({ clients: [GATEWAY_CLIENT, ALICE], callerResource: GATEWAY });
    old = await startConformanceFixture({ port: 0 });
    fresh = await startModernConformanceFixture({ port: 0 });
    const verify = { issuer: provider.issuer, jwksUrl: provider.jwksUrl, audience: GATEWAY };
    proxy["old"] = await startTokenRecordingProxy(old.url, verify);
    proxy["fresh"] = await startTokenRecordingProxy(fresh.url, verify);
    process.env["E2E_SUB_SECRET"] = GATEWAY_CLIENT.client_secret;
    stack = await startGatewayStack(await mode(), {
      extraServers: [server("old"), server("fresh")],
      access: `auth:
  jwt: { issuer: "${provider.issuer}", audience: "${GATEWAY}", jwksUrl: "${provider.jwksUrl}", algorithms: [RS256], defaultPolicy: everything }
policies:
  everything: { servers: [old, fresh], tools: ["*"], prompts: ["*"], resources: ["*"] }
`,
    });
  });
  afterEach(async () => {
    for (const item of open.splice(0).reverse()) await item.close().catch(() => undefined);
  });
  afterAll(async () => {
    await stack?.stop();
    for (const p of Object.values(proxy)) await p.close();
    await fresh?.close();
    await old?.close();
    await provider?.close();
  });

  const modernClient = async (): Promise<Client> => {
    const client = new Client(
      { name: "modern-watcher", version: "1.0.0" },
      { capabilities: {}, versionNegotiation: { mode: { pin: "2026-07-28" } } },
    );
    const transport = new StreamableHTTPClientTransport(new URL(stack.url), {
      requestInit: { headers: { authorization: await aliceAuth() } },
    });
    await client.connect(transport, TIMEOUT);
    open.push(client);
    return client;
  };

  it("subscribes a 2025 upstream for a 2026 client's listen under the caller's token (initialize, GET stream, resources/subscribe)", async () => {
    const from = proxy["old"]?.seen.length ?? 0;
    const client = await modernClient();
    const subscription = await client.listen({ resourceSubscriptions: [OLD_WATCHED] }, TIMEOUT);
    open.push(subscription);
    expect(subscription.honoredFilter.resourceSubscriptions).toEqual([OLD_WATCHED]);
    const seen = (): ProxiedRequest[] => proxy["old"]?.seen.slice(from) ?? [];
    const { alice, mixed } = parties(seen());
    expect(mixed).toEqual([]);
    expect(alice.map((request) => request.rpc ?? request.method)).toEqual(
      expect.arrayContaining(["GET", "resources/subscribe"]),
    );
    expect(seen().filter((request) => request.refused !== undefined)).toEqual([]);
  });

  it("opens a 2026 upstream's subscriptions/listen for a 2026 client's listen under the caller's token", async () => {
    const from = proxy["fresh"]?.seen.length ?? 0;
    const client = await modernClient();
    const subscription = await client.listen({ resourceSubscriptions: [FRESH_WATCHED] }, TIMEOUT);
    open.push(subscription);
    expect(subscription.honoredFilter.resourceSubscriptions).toEqual([FRESH_WATCHED]);
    const listens = (proxy["fresh"]?.seen.slice(from) ?? []).filter((r) => r.rpc === "subscriptions/listen");
    expect(listens.map((request) => request.subject ?? request.refused)).toEqual(["alice"]);
  });

  it("turns a legacy client's resources/subscribe into a subscriptions/listen under the caller's token", async () => {
    const from = proxy["fresh"]?.seen.length ?? 0;
    const legacy = await connectClient(stack.url, "legacy-watcher", { authorization: await aliceAuth() });
    try {
      await legacy.client.subscribeResource({ uri: FRESH_WATCHED });
      const listens = (): ProxiedRequest[] =>
        (proxy["fresh"]?.seen.slice(from) ?? []).filter((r) => r.rpc === "subscriptions/listen");
      expect(await pollUntil(() => listens().length > 0, 5_000)).toBe(true);
      expect(listens().map((request) => request.subject ?? request.refused)).toEqual(["alice"]);
    } finally {
      await legacy.close();
    }
  });
});
