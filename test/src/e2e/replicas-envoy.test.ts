import { createHmac, hkdfSync } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "@mcp-gateway/core";
import { startNode, type RunningProcess } from "@mcp-gateway/example-kit";
import { DEFAULT_RENDER_OPTIONS, renderEnvoyConfig } from "@mcp-gateway/router";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ElicitRequestSchema, type CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { startConformanceFixture } from "../conformance/fixture-server";
import { startEnvoy, type EnvoyProcess } from "../support/envoy-process";
import { startModernUpstream, WIPE, type ModernUpstream } from "../support/modern-upstream";
import { freePort, startRedisServer, type RedisServer } from "../support/redis-server";
import { waitForUpstreams } from "./gateway-stack";
import { rawPost, untilRouted } from "./mcp-client";

jest.setTimeout(120_000);

// Envoy mode with two broker replicas on one Redis behind a real Envoy (issue 11, item 7): the broker cluster has both
// endpoints and Envoy balances round robin (one worker thread, so requests to the broker alternate between them), so
// consecutive rounds of one call reach different brokers. The broker that gets a retry or an answer for a call the
// other one holds forwards it there, once, and streams the answer back.

const SECRET = "replicas-envoy-secret-0123456789abcdef";
const REVISION = "2026-07-28";
const META = {
  "io.modelcontextprotocol/protocolVersion": REVISION,
  "io.modelcontextprotocol/clientCapabilities": { elicitation: {} },
  "io.modelcontextprotocol/clientInfo": { name: "replicas-envoy", version: "1.0.0" },
};
const MULTI_ROUND = "conformance_test_input_required_result_multi_round";

type Json = Record<string, unknown>;

function gatewayYaml(servers: string[], redisUrl: string, router: number, metrics: number, broker: number): string {
  return `version: 1
auth: none
servers:
${servers.map((s) => `  - { ${s} }`).join("\n")}
sessions: { secret: "${SECRET}", store: "${redisUrl}", ttl: 1h, backendInitTimeout: 3s }
limits: { upstreamTimeout: 8s }
health: { interval: 300ms, maxBackoff: 1s, timeout: 2s }
router: { listen: "127.0.0.1:${router}", metricsListen: "127.0.0.1:${metrics}" }
broker: { listen: "127.0.0.1:${broker}" }
`;
}

/** The rendered config with a second endpoint in the broker cluster (two broker replicas). */
function withTwoBrokers(config: object, second: number): object {
  const clusters = (config as { static_resources: { clusters: Json[] } }).static_resources.clusters;
  const broker = clusters.find((c) => c["name"] === "mcp_broker") as {
    load_assignment: { endpoints: { lb_endpoints: Json[] }[] };
  };
  const endpoints = broker.load_assignment.endpoints[0]?.lb_endpoints ?? [];
  endpoints.push({ endpoint: { address: { socket_address: { address: "127.0.0.1", port_value: second } } } });
  return config;
}

/**
 * A hop marker as a replica signs it (broker/src/replicas/hop-marker.ts), here by a client that knows the secret: the
 * worst case. A broker receiving it would handle the request itself, never forwarding it to the holder.
 */
function validHopMarker(): string {
  const key = Buffer.from(hkdfSync("sha256", SECRET, "mcp-gateway", "replica-hop v1", 32));
  const signed = `h1.${"A".repeat(16)}.${Math.ceil(Date.now() / 1000) + 30}`;
  return `${signed}.${createHmac("sha256", key).update(signed).digest("base64url")}`;
}

async function modernCall(url: string, id: number, extra: Json = {}, headers: Record<string, string> = {}) {
  const body = {
    jsonrpc: "2.0",
    id,
    method: "tools/call",
    params: { name: MULTI_ROUND, arguments: {}, _meta: META, ...extra },
  };
  const reply = await rawPost(url, JSON.stringify(body), {
    "mcp-protocol-version": REVISION,
    "mcp-method": "tools/call",
    "mcp-name": MULTI_ROUND,
    ...headers,
  });
  return { result: reply.json["result"] as Json | undefined, error: reply.json["error"] as Json | undefined };
}

function answer(result: Json | undefined, content: Json): Json {
  expect(result).toMatchObject({ resultType: "input_required" });
  const requests = result?.["inputRequests"] as Record<string, { method: string }>;
  const [key = ""] = Object.keys(requests);
  return { inputResponses: { [key]: { action: "accept", content } }, requestState: result?.["requestState"] };
}

describe("Envoy mode with two broker replicas on one Redis", () => {
  let dir: string;
  let redis: RedisServer;
  let fixture: Awaited<ReturnType<typeof startConformanceFixture>>;
  let modern: ModernUpstream;
  let envoy: EnvoyProcess;
  const processes: RunningProcess[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "mcp-replicas-envoy-"));
    redis = await startRedisServer();
    fixture = await startConformanceFixture();
    modern = await startModernUpstream({
      tools: [
        { name: "echo", inputSchema: { type: "object", properties: { text: { type: "string" } } } },
        { name: WIPE, inputSchema: { type: "object", properties: {} } },
      ],
    });
    const servers = [`name: conformance, url: "${fixture.url}"`, `name: fresh, url: "${modern.url}"`];
    const [router, metrics, brokerA, brokerB] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const yamlA = gatewayYaml(servers, redis.url, router, metrics, brokerA);
    await writeFile(join(dir, "a.yaml"), yamlA);
    await writeFile(join(dir, "b.yaml"), gatewayYaml(servers, redis.url, router, metrics, brokerB));
    const run = (command: string, file: string): RunningProcess =>
      startNode("cli/dist/main.js", [command, "--config", join(dir, file), "--log-level", "warn"]);
    processes.push(run("router", "a.yaml"), run("broker", "a.yaml"), run("broker", "b.yaml"));
    await Promise.all(processes.map((p) => p.waitFor(/listening on/)));
    await Promise.all([brokerA, brokerB].map((port) => waitForUpstreams(`http://127.0.0.1:${port}`)));
    const rendered = renderEnvoyConfig(parseConfig(yamlA, {}), {
      ...DEFAULT_RENDER_OPTIONS,
      listener: { address: "127.0.0.1", port: 0 },
      admin: { address: "127.0.0.1", port: 0 },
      router: { address: "127.0.0.1", port: router },
      broker: { address: "127.0.0.1", port: brokerA },
    });
    envoy = await startEnvoy(withTwoBrokers(rendered, brokerB));
  });
  afterAll(async () => {
    await envoy?.stop();
    for (const process of processes) await process.stop();
    await modern?.close();
    await fixture?.close();
    await redis?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("resumes a 2026 client's multi-round call whichever broker each round reaches", async () => {
    const url = `${envoy.url}/mcp`;
    for (const [name, color] of [
      ["Ada", "teal"],
      ["Bo", "red"],
    ] as const) {
      const first = await modernCall(url, 1);
      const second = await modernCall(url, 2, answer(first.result, { name }));
      expect(second.error).toBeUndefined();
      const third = await modernCall(url, 3, answer(second.result, { color }));
      expect(third.error).toBeUndefined();
      expect(third.result).toMatchObject({
        content: [{ type: "text", text: `Multi-round complete: ${name} likes ${color}` }],
      });
    }
  });

  it("strips a hop header a client sends (even a validly signed one): the router drops every client x-mcp-* header", async () => {
    const url = `${envoy.url}/mcp`;
    const first = await modernCall(url, 1);
    const hop = { "x-mcp-gateway-hop": validHopMarker() };
    const second = await modernCall(url, 2, answer(first.result, { name: "Cy" }), hop);
    expect(second.error).toBeUndefined();
    const third = await modernCall(url, 3, answer(second.result, { color: "jade" }), hop);
    expect(third.result).toMatchObject({ content: [{ type: "text", text: "Multi-round complete: Cy likes jade" }] });
  });

  it("delivers a legacy client's answers to the broker that relayed the requests", async () => {
    const client = new Client({ name: "legacy-replicas", version: "1.0.0" }, { capabilities: { elicitation: {} } });
    const answers = [{ confirm: true }, { scope: "everything" }];
    client.setRequestHandler(ElicitRequestSchema, () => ({ action: "accept", content: answers.shift() as never }));
    await client.connect(new StreamableHTTPClientTransport(new URL(`${envoy.url}/mcp`)));
    try {
      // The router discovers the 2026 upstream on its own, a little after the brokers.
      await untilRouted(
        () => client.callTool({ name: "fresh_echo", arguments: { text: "x" } }) as Promise<CallToolResult>,
        (result) => JSON.stringify(result.content).includes("echo: x"),
      );
      const result = (await client.callTool({ name: `fresh_${WIPE}`, arguments: {} })) as CallToolResult;
      expect(result.content).toEqual([{ type: "text", text: "Wiped everything" }]);
    } finally {
      await client.close();
    }
  });
});
