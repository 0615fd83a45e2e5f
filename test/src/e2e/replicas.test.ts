import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startNode, type RunningProcess } from "@mcp-gateway/example-kit";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ElicitRequestSchema, type CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { startConformanceFixture } from "../conformance/fixture-server";
import { startModernUpstream, WIPE, type ModernUpstream } from "../support/modern-upstream";
import { freePort, startRedisServer, type RedisServer } from "../support/redis-server";
import { startReplicaBalancer, type ReplicaBalancer } from "../support/replica-balancer";
import { waitForUpstreams } from "./gateway-stack";
import { rawPost } from "./mcp-client";

jest.setTimeout(120_000);

// Several standalone gateways on one Redis, no sticky sessions (issue 11, item 7): a 2026 client's multi-round call to
// a 2025 upstream is held by the replica that answered round 1, yet its retries may land on any replica; a legacy
// client's answers to the requests the legacy bridge relays from a 2026 upstream may too. The replica that receives
// one forwards it, once, to the holder (registered in Redis), and streams the holder's answer back.

const SECRET = "replicas-e2e-secret-0123456789abcdef";
const REVISION = "2026-07-28";
const META = {
  "io.modelcontextprotocol/protocolVersion": REVISION,
  "io.modelcontextprotocol/clientCapabilities": { elicitation: {} },
  "io.modelcontextprotocol/clientInfo": { name: "replicas-e2e", version: "1.0.0" },
};
const MULTI_ROUND = "conformance_test_input_required_result_multi_round";

interface Replica {
  base: string;
  process: RunningProcess;
}

async function startReplica(dir: string, name: string, redisUrl: string, servers: string[]): Promise<Replica> {
  const port = await freePort();
  const yaml = `version: 1
auth: none
servers:
${servers.map((s) => `  - { ${s} }`).join("\n")}
sessions: { secret: "${SECRET}", store: "${redisUrl}", ttl: 1h, backendInitTimeout: 3s }
limits: { upstreamTimeout: 8s }
health: { interval: 300ms, maxBackoff: 1s, timeout: 2s }
standalone: { listen: "127.0.0.1:${port}" }
`;
  const configPath = join(dir, `${name}.yaml`);
  await writeFile(configPath, yaml);
  const process = startNode("cli/dist/main.js", ["serve", "--config", configPath, "--log-level", "warn"]);
  await process.waitFor(/gateway listening on/);
  const base = `http://127.0.0.1:${port}`;
  await waitForUpstreams(base);
  return { base, process };
}

type Json = Record<string, unknown>;

async function modernCall(replica: Replica, id: number, extra: Json = {}, headers: Record<string, string> = {}) {
  const body = {
    jsonrpc: "2.0",
    id,
    method: "tools/call",
    params: { name: MULTI_ROUND, arguments: {}, _meta: META, ...extra },
  };
  const reply = await rawPost(`${replica.base}/mcp`, JSON.stringify(body), {
    "mcp-protocol-version": REVISION,
    "mcp-method": "tools/call",
    "mcp-name": MULTI_ROUND,
    ...headers,
  });
  return {
    status: reply.status,
    result: reply.json["result"] as Json | undefined,
    error: reply.json["error"] as Json | undefined,
  };
}

/** The answers to an input_required result's (single) elicitation, and the state to send them with. */
function answer(result: Json | undefined, content: Json): Json {
  expect(result).toMatchObject({ resultType: "input_required" });
  const requests = result?.["inputRequests"] as Record<string, { method: string }>;
  const keys = Object.keys(requests);
  expect(keys).toHaveLength(1);
  expect(requests[keys[0] ?? ""]?.method).toBe("elicitation/create");
  return {
    inputResponses: { [keys[0] ?? ""]: { action: "accept", content } },
    requestState: result?.["requestState"],
  };
}

const isResponse = (body: Buffer): boolean => {
  try {
    const message = JSON.parse(body.toString("utf8")) as Json;
    return !("method" in message) && ("result" in message || "error" in message);
  } catch {
    return false;
  }
};

describe("gateway replicas on one Redis (standalone, no sticky sessions)", () => {
  let dir: string;
  let redis: RedisServer;
  let fixture: Awaited<ReturnType<typeof startConformanceFixture>>;
  let modern: ModernUpstream;
  let a: Replica;
  let b: Replica;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "mcp-replicas-"));
    redis = await startRedisServer();
    fixture = await startConformanceFixture();
    modern = await startModernUpstream({ tools: [{ name: WIPE, inputSchema: { type: "object", properties: {} } }] });
    const servers = [`name: conformance, url: "${fixture.url}"`, `name: fresh, url: "${modern.url}"`];
    [a, b] = await Promise.all([
      startReplica(dir, "a", redis.url, servers),
      startReplica(dir, "b", redis.url, servers),
    ]);
  });
  afterAll(async () => {
    await a?.process.stop();
    await b?.process.stop();
    await modern?.close();
    await fixture?.close();
    await redis?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("resumes a 2026 client's call held on replica A when its retries reach replica B", async () => {
    const first = await modernCall(a, 1);
    const second = await modernCall(b, 2, answer(first.result, { name: "Ada" }));
    expect(second.error).toBeUndefined();
    const third = await modernCall(b, 3, answer(second.result, { color: "teal" }));
    expect(third.error).toBeUndefined();
    expect(third.result).toMatchObject({ content: [{ type: "text", text: "Multi-round complete: Ada likes teal" }] });
  });

  it("ignores a hop header sent by a client: the retry is still forwarded to the holder", async () => {
    const first = await modernCall(b, 4);
    const forged = `h1.${"A".repeat(16)}.9999999999.${"A".repeat(43)}`;
    const second = await modernCall(a, 5, answer(first.result, { name: "Bo" }), { "x-mcp-gateway-hop": forged });
    expect(second.error).toBeUndefined();
    const third = await modernCall(b, 6, answer(second.result, { color: "red" }));
    expect(third.result).toMatchObject({ content: [{ type: "text", text: "Multi-round complete: Bo likes red" }] });
  });

  describe("a legacy client behind a balancer that sends its answers to the other replica", () => {
    let balancer: ReplicaBalancer;

    beforeAll(async () => {
      // Requests to A, the client's answers (JSON-RPC responses) to B: every relayed answer crosses replicas.
      balancer = await startReplicaBalancer([a.base, b.base], (_method, body) => (isResponse(body) ? 1 : 0));
    });
    afterAll(async () => {
      await balancer.close();
    });

    it("delivers each answer to the replica that relayed the request, over two rounds", async () => {
      const client = new Client({ name: "legacy-replicas", version: "1.0.0" }, { capabilities: { elicitation: {} } });
      const answers = [{ confirm: true }, { scope: "everything" }];
      client.setRequestHandler(ElicitRequestSchema, () => ({ action: "accept", content: answers.shift() as never }));
      await client.connect(new StreamableHTTPClientTransport(new URL(balancer.url)));
      try {
        const result = (await client.callTool({ name: `fresh_${WIPE}`, arguments: {} })) as CallToolResult;
        expect(result.content).toEqual([{ type: "text", text: "Wiped everything" }]);
        const answered = balancer.sent.filter((s) => s.replica === 1).map((s) => JSON.parse(s.body) as Json);
        expect(answered).toHaveLength(2);
        for (const message of answered) expect(String(message["id"])).toMatch(/^mcpgw:fresh:"[A-Za-z0-9_-]{16}\./);
      } finally {
        await client.close();
      }
    });

    it("refuses an answer naming a replica that is not registered with a clear -32602", async () => {
      const client = new Client({ name: "legacy-replicas", version: "1.0.0" }, { capabilities: {} });
      const transport = new StreamableHTTPClientTransport(new URL(balancer.url));
      await client.connect(transport);
      try {
        const id = `mcpgw:fresh:"${"Z".repeat(16)}.00000000-0000-4000-8000-000000000000"`;
        const reply = await rawPost(`${b.base}/mcp`, JSON.stringify({ jsonrpc: "2.0", id, result: {} }), {
          "mcp-session-id": transport.sessionId ?? "",
          "mcp-protocol-version": "2025-11-25",
        });
        expect(reply.status).toBe(400);
        expect(reply.json["error"]).toMatchObject({
          code: -32602,
          message: expect.stringMatching(/replica that is gone/),
        });
      } finally {
        await client.close();
      }
    });
  });

  // Last: it stops replica A.
  it("refuses a retry whose holder has stopped with a clear -32602", async () => {
    const first = await modernCall(a, 7);
    await a.process.stop();
    const second = await modernCall(b, 8, answer(first.result, { name: "Cy" }));
    expect(second.error).toMatchObject({
      code: -32602,
      message: expect.stringMatching(/held on a replica that is gone/),
    });
  });
});
