import { parseConfig, silentLogger } from "@mcp-gateway/core";
import { startGatewayProcess, type GatewayProcess } from "@mcp-gateway/cli";
import { pollUntil } from "../support/bounded-wait";
import { startRedisServer } from "../support/redis-server";
import { startSessionCountingUpstream, type SessionCountingUpstream } from "../support/session-counting-upstream";
import { connectClient, rawPost, serverInfo, type ConnectedClient } from "./mcp-client";

// Upstream sessions the gateway stops using are ended there with DELETE: a real SDK upstream counts its live sessions.

let upstream: SessionCountingUpstream;
let gateway: GatewayProcess | undefined;
// Sessions the gateway holds besides the clients' backend sessions (its own discovery client's).
let baseline = 0;
const clients: ConnectedClient[] = [];

beforeEach(async () => {
  upstream = await startSessionCountingUpstream();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await gateway?.close();
  gateway = undefined;
  await upstream.close();
});

function yaml(sessions: string, servers = `  - { name: weather, url: "${upstream.url}" }`): string {
  return `version: 1
auth: none
servers:
${servers}
sessions: { secret: "hygiene-test-secret-0123456789abcdef", ${sessions} }
health: { interval: 200ms, maxBackoff: 500ms, timeout: 1s }
standalone: { listen: "127.0.0.1:0" }
`;
}

/** Starts a standalone gateway process in front of the upstream; resolves once the upstream is ready through it. */
async function startProcess(sessions: string): Promise<{ process: GatewayProcess; url: string }> {
  const process = await startGatewayProcess({
    config: parseConfig(yaml(sessions), {}),
    env: {},
    roles: { router: false, broker: true, standalone: true },
    logger: silentLogger,
    announce: () => undefined,
  });
  const base = `http://127.0.0.1:${process.brokerPort}`;
  const ready = await pollUntil(async () => (await fetch(`${base}/readyz`)).status === 200, 10_000);
  if (!ready) {
    await process.close();
    throw new Error("the upstream did not become ready within 10 s");
  }
  return { process, url: `${base}/mcp` };
}

async function start(sessions = "store: memory"): Promise<string> {
  const started = await startProcess(sessions);
  gateway = started.process;
  baseline = upstream.live();
  return started.url;
}

/** Connects a client and makes one routed call: the gateway opens the client's backend session. */
async function callingClient(url: string): Promise<{ client: ConnectedClient; backend: string }> {
  const client = await connectClient(url, "hygiene");
  clients.push(client);
  return { client, backend: (await serverInfo(client.client, "weather_server_info")).sessionId };
}

/** Waits (bounded) until the upstream holds `count` backend sessions besides the gateway's own. */
const backendsBecome = (count: number): Promise<boolean> =>
  pollUntil(() => upstream.live() - baseline === count, 30_000);
const backends = (): number => upstream.live() - baseline;

async function endedCount(url: string, reason: string): Promise<number> {
  const text = await (await fetch(url.replace(/\/mcp$/, "/metrics"))).text();
  const line = text
    .split("\n")
    .find((l) => l.startsWith("mcp_gateway_backend_sessions_ended_total{") && l.includes(`reason="${reason}"`));
  return line === undefined ? 0 : Number(line.split(" ").at(-1));
}

describe("backend session hygiene (standalone gateway, real SDK upstream and clients)", () => {
  it("DELETEs the backend session the LRU bound evicts, and counts it", async () => {
    const url = await start("store: memory, maxBackendSessions: 2");
    const first = await callingClient(url);
    await callingClient(url);
    await callingClient(url);
    expect(await backendsBecome(2)).toBe(true);
    expect(upstream.deleted).toEqual([first.backend]);
    expect(await endedCount(url, "evicted")).toBe(1);
  });

  it("DELETEs a backend session idle past sessions.backendIdleTimeout", async () => {
    const url = await start("store: memory, backendIdleTimeout: 300ms");
    const { backend } = await callingClient(url);
    expect(await backendsBecome(0)).toBe(true);
    expect(upstream.deleted).toEqual([backend]);
    expect(await endedCount(url, "idle")).toBe(1);
  });

  it("DELETEs a gateway session's backend sessions when the client ends it", async () => {
    const url = await start();
    const { client, backend } = await callingClient(url);
    await callingClient(url);
    await client.transport.terminateSession();
    expect(upstream.deleted).toEqual([backend]);
    expect(backends()).toBe(1);
    expect(await endedCount(url, "client_delete")).toBe(1);
  });

  it("DELETEs the backend sessions of a server a reload removes", async () => {
    const url = await start();
    const ids = [(await callingClient(url)).backend, (await callingClient(url)).backend];
    expect(backends()).toBe(2);
    const context = (gateway as GatewayProcess).context;
    const other = await startSessionCountingUpstream();
    try {
      await context.reconfigure(parseConfig(yaml("store: memory", `  - { name: other, url: "${other.url}" }`), {}));
    } finally {
      await other.close();
    }
    expect(await pollUntil(() => upstream.deleted.length >= 2, 10_000)).toBe(true);
    expect(upstream.deleted).toEqual(expect.arrayContaining(ids));
    expect(await endedCount(url, "server_removed")).toBe(2);
  });

  it("DELETEs every backend session at shutdown", async () => {
    const url = await start();
    const opened = await Promise.all([callingClient(url), callingClient(url), callingClient(url)]);
    expect(backends()).toBe(3);
    await (gateway as GatewayProcess).close();
    gateway = undefined;
    expect(upstream.deleted).toEqual(expect.arrayContaining(opened.map((o) => o.backend)));
    expect(upstream.live()).toBeLessThanOrEqual(baseline);
  });

  it("brings the upstream's live sessions back to the clients still open after many open and close", async () => {
    const url = await start("store: memory, backendIdleTimeout: 2s");
    const opened = await Promise.all(Array.from({ length: 20 }, () => callingClient(url)));
    expect(backends()).toBe(20);
    const [open, vanished, ended] = [opened.slice(0, 5), opened.slice(5, 10), opened.slice(10)];
    // 10 end their sessions (DELETE); 5 just go away, so their gateway sessions are left to expire.
    await Promise.all(ended.map(({ client }) => client.transport.terminateSession()));
    await Promise.all(vanished.map(({ client }) => client.close()));
    // The 5 still open keep calling (an idle-ended session would be reopened by the next call, so still 5).
    let calling = true;
    const keepCalling = Promise.all(
      open.map(async ({ client }) => {
        while (calling) await serverInfo(client.client, "weather_server_info");
      }),
    );
    try {
      expect(await backendsBecome(5)).toBe(true);
    } finally {
      calling = false;
      await keepCalling;
    }
  });

  it("with Redis, keeps a session another replica uses, and its creator DELETEs it once Redis expires it", async () => {
    const redis = await startRedisServer();
    const sessions = `store: "${redis.url}", backendIdleTimeout: 2s`;
    const replicas: GatewayProcess[] = [];
    try {
      const [a, b] = [await startProcess(sessions), await startProcess(sessions)];
      replicas.push(a.process, b.process);
      const { client, backend } = await callingClient(a.url);
      const session = { "mcp-session-id": client.transport.sessionId as string, "mcp-protocol-version": "2025-06-18" };
      const call = JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "tools/call",
        params: { name: "weather_server_info", arguments: {} },
      });
      // Used only through replica B for twice the idle timeout: B's calls refresh the shared key, so A keeps it.
      const until = Date.now() + 4_000;
      while (Date.now() < until) {
        const reply = await rawPost(b.url, call, session);
        const text = (reply.json["result"] as { content: { text: string }[] }).content[0]?.text ?? "{}";
        expect((JSON.parse(text) as { sessionId: string }).sessionId).toBe(backend);
      }
      expect(upstream.deleted).toEqual([]);
      // Unused, the key expires silently in Redis; A, which created the session, finds it gone and ends it.
      expect(await pollUntil(() => upstream.deleted.includes(backend), 10_000)).toBe(true);
    } finally {
      await Promise.all(replicas.map((r) => r.close()));
      await redis.stop();
    }
  });
});
