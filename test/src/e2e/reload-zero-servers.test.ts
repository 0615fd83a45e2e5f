import { readFile, writeFile } from "node:fs/promises";
import { pollUntil } from "../support/bounded-wait";
import { startGatewayStack, metricValue, type GatewayStack } from "./gateway-stack";
import { connectClient, serverInfo, untilRouted, type ConnectedClient } from "./mcp-client";
import { deployments } from "./stack-modes";

// A gateway with no servers (what the controller renders once the last MCPServer is gone) is a gateway that routes
// nothing, in every deployment, with real gateway processes watching their config file and, in Envoy mode, a real
// Envoy in front: reloading to servers: [] ends the removed servers' backend sessions and stops routing to them.

jest.setTimeout(120_000);

const modes = deployments();
afterAll(async () => {
  await modes.stop();
});

const SERVERS_BLOCK = /^servers:(?: \[\])?\n(?: {2}- .*\n)*/m;

/** Rewrites the stack's config file with `servers` (YAML entries) in place of its servers. */
async function setServers(stack: GatewayStack, servers: string[]): Promise<void> {
  const text = await readFile(stack.configPath, "utf8");
  const block = servers.length === 0 ? "servers: []\n" : `servers:\n${servers.map((s) => `  - { ${s} }\n`).join("")}`;
  if (!SERVERS_BLOCK.test(text)) throw new Error("the stack's config has no servers block");
  await writeFile(stack.configPath, text.replace(SERVERS_BLOCK, block));
}

/** What a fresh client sees: the tool, prompt and resource names. */
async function freshLists(url: string): Promise<string[][]> {
  const connected = await connectClient(url, "zero-servers-fresh");
  try {
    const { client } = connected;
    return [
      (await client.listTools()).tools.map((t) => t.name),
      (await client.listPrompts()).prompts.map((p) => p.name),
      (await client.listResources()).resources.map((r) => r.uri),
    ];
  } finally {
    await connected.close();
  }
}

/** The call's JSON-RPC error message, or "ok" when it succeeded. */
async function callOutcome(connected: ConnectedClient, name: string): Promise<string> {
  return connected.client.callTool({ name, arguments: {} }).then(
    () => "ok",
    (error: unknown) => (error instanceof Error ? error.message : String(error)),
  );
}

async function readyz(stack: GatewayStack): Promise<[number, unknown]> {
  const response = await fetch(`${stack.brokerBase}/readyz`);
  return [response.status, await response.json()];
}

describe.each(modes.all)("reloading to servers: [] and back (%s)", (_label, mode) => {
  let stack: GatewayStack;
  let connected: ConnectedClient;
  let notesSession: string;

  beforeAll(async () => {
    stack = await startGatewayStack(await mode());
    connected = await connectClient(stack.url, "zero-servers");
  });
  afterAll(async () => {
    await connected?.close();
    await stack?.stop();
  });

  it("N → 0: ends the servers' backend sessions, lists nothing, refuses their tools by name; still ready", async () => {
    await untilRouted(
      () => serverInfo(connected.client, "weather_server_info"),
      () => true,
    );
    notesSession = (
      await untilRouted(
        () => serverInfo(connected.client, "notes_server_info"),
        () => true,
      )
    ).sessionId;
    await setServers(stack, []);
    // In a split deployment router and broker reload on their own: wait for both (lists, then calls).
    expect(await pollUntil(async () => (await freshLists(stack.url).catch(() => []))[0]?.length === 0, 30_000)).toBe(
      true,
    );
    expect(await freshLists(stack.url)).toEqual([[], [], []]);
    const refused = await untilRouted(
      () => callOutcome(connected, "weather_server_info"),
      (outcome) => outcome.includes("unknown tool"),
    );
    expect(refused).toContain('unknown tool: "weather_server_info"');
    expect((await connected.client.listTools()).tools).toEqual([]);
    // Both servers' backend sessions (held where calls are routed) are ended upstream with DELETE.
    const removed = async (): Promise<number> =>
      metricValue(await (await fetch(stack.routerMetricsUrl)).text(), "mcp_gateway_backend_sessions_ended_total", {
        reason: "server_removed",
      });
    expect(await pollUntil(async () => (await removed()) >= 2, 15_000)).toBe(true);
    expect(await readyz(stack)).toEqual([200, { ready: true, upstreams: [] }]);
    const status = (await (await fetch(`${stack.brokerBase}/status`)).json()) as { upstreams: unknown[] };
    expect(status.upstreams).toEqual([]);
  });

  it("0 → 1: serves the added server's tools on a new backend session; the removed one stays gone", async () => {
    await setServers(stack, [`name: notes, url: "${stack.notes.url}"`]);
    const tools = await untilRouted(
      async () => (await freshLists(stack.url))[0] ?? [],
      (names) => names.includes("notes_add_note"),
    );
    expect(tools.filter((name) => name.startsWith("weather_"))).toEqual([]);
    const info = await untilRouted(
      () => serverInfo(connected.client, "notes_server_info"),
      () => true,
    );
    expect(info.sessionId).not.toBe(notesSession);
    expect(await callOutcome(connected, "weather_server_info")).toContain('unknown tool: "weather_server_info"');
  });
});

describe.each(modes.all)("starting on servers: [] (%s)", (_label, mode) => {
  let stack: GatewayStack;

  beforeAll(async () => {
    stack = await startGatewayStack(await mode(), { noServers: true });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it("answers initialize and empty lists, refuses a tool by name, and is ready", async () => {
    if (stack.envoy) {
      // render-envoy's config for no servers: Envoy accepted it, with the router and broker as its only clusters.
      const clusters = (await (await fetch(`${stack.envoy.adminUrl}/clusters?format=json`)).json()) as {
        cluster_statuses: { name: string }[];
      };
      expect(clusters.cluster_statuses.map((c) => c.name).sort()).toEqual(["mcp_broker", "mcp_router"]);
    }
    expect(await freshLists(stack.url)).toEqual([[], [], []]);
    const connected = await connectClient(stack.url, "zero-servers-start");
    try {
      expect(await callOutcome(connected, "weather_get_forecast")).toContain('unknown tool: "weather_get_forecast"');
    } finally {
      await connected.close();
    }
    expect(await readyz(stack)).toEqual([200, { ready: true, upstreams: [] }]);
  });
});
