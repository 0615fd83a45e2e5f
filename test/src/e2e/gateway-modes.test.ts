import { SUPPORTED_PROTOCOL_VERSIONS, ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { withDeadline } from "../support/bounded-wait";
import { deployments } from "./stack-modes";
import { connectClient, rawPost, serverInfo, type ConnectedClient } from "./mcp-client";
import { MAX_BODY_BYTES, metricValue, startGatewayStack, waitForUpstreams, type GatewayStack } from "./gateway-stack";

jest.setTimeout(60_000);

afterAll(async () => {
  await modes.stop();
});

const modes = deployments();

/**
 * Runs `action` and returns the Envoy cluster that served the POST it sent (from Envoy's access log); standalone mode
 * has no Envoy, so undefined.
 */
async function clusterOf(stack: GatewayStack, action: () => Promise<unknown>): Promise<string | undefined> {
  const since = Date.now();
  await action();
  return (await stack.envoy?.routeSince(since, (route) => route.method === "POST"))?.cluster;
}

/**
 * The first call to a restarted upstream. Standalone calls it at once. Envoy may have marked it unhealthy while it was
 * down (the stack checks every 300 ms) and answers 503 `no_healthy_upstream` until its worker takes the host back,
 * about a second after a passing check; the call is retried for a bounded time, so the answer is still the heal.
 */
async function afterRestart<T>(stack: GatewayStack, call: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return await call();
    } catch (error: unknown) {
      if (!stack.envoy || Date.now() > deadline || !String(error).includes("-31001")) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

describe.each(modes.all)("gateway end to end (%s)", (_label, mode) => {
  let stack: GatewayStack;
  const clients: ConnectedClient[] = [];
  const connect = async (): Promise<ConnectedClient> => {
    const connected = await connectClient(stack.url);
    clients.push(connected);
    return connected;
  };
  const initialize = async (): Promise<string> => {
    const { headers } = await rawPost(
      stack.url,
      JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
      }),
    );
    return headers.get("mcp-session-id") ?? "";
  };

  beforeAll(async () => {
    stack = await startGatewayStack(await mode());
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it("lists the prefixed tools of both servers and calls each with its unprefixed name", async () => {
    const { client, transport } = await connect();
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(
      expect.arrayContaining(["weather_get_forecast", "weather_server_info", "notes_add_note", "notes_server_info"]),
    );
    expect(names.some((n) => n === "get_forecast" || n === "server_info")).toBe(false);

    const weather = await clusterOf(stack, async () => {
      expect((await serverInfo(client, "weather_server_info")).server).toBe("weather");
    });
    expect(weather).toBe(stack.envoy ? "mcp_server_weather" : undefined);
    const notes = await clusterOf(stack, async () => {
      expect((await serverInfo(client, "notes_server_info")).server).toBe("notes");
    });
    expect(notes).toBe(stack.envoy ? "mcp_server_notes" : undefined);

    const forecast = await client.callTool({ name: "weather_get_forecast", arguments: { city: "Oslo", days: 2 } });
    expect(JSON.stringify(forecast)).toContain("Oslo");
    expect(transport.sessionId).toMatch(/^g1\./);
  });

  it("creates exactly one backend session for 20 concurrent first calls", async () => {
    const { client } = await connect();
    const metrics = async (): Promise<number> =>
      metricValue(await (await fetch(stack.routerMetricsUrl)).text(), "mcp_router_backend_sessions_total", {
        server: "weather",
        outcome: "created",
      });
    const before = await metrics();
    const infos = await Promise.all(Array.from({ length: 20 }, () => serverInfo(client, "weather_server_info")));
    expect(new Set(infos.map((i) => i.sessionId)).size).toBe(1);
    expect((await metrics()) - before).toBe(1);
  });

  it("never shows a backend session id to the client", async () => {
    const { client, transport } = await connect();
    const info = await serverInfo(client, "weather_server_info");
    const gatewaySession = transport.sessionId ?? "";
    expect(info.sessionId).not.toBe(gatewaySession);
    const reply = await rawPost(
      stack.url,
      JSON.stringify({
        jsonrpc: "2.0",
        id: 7,
        method: "tools/call",
        params: { name: "weather_server_info", arguments: {} },
      }),
      {
        "mcp-session-id": gatewaySession,
        "mcp-protocol-version": "2025-06-18",
      },
    );
    expect(reply.status).toBe(200);
    expect(reply.headers.get("mcp-session-id")).toBe(gatewaySession);
    expect(JSON.stringify(reply.json)).not.toContain(gatewaySession);
  });

  it("heals transparently when an upstream restarts and forgets its sessions", async () => {
    const { client } = await connect();
    const before = await serverInfo(client, "weather_server_info");
    await stack.restartWeather();
    const after = await afterRestart(stack, () => serverInfo(client, "weather_server_info"));
    expect(after.server).toBe("weather");
    expect(after.sessionId).not.toBe(before.sessionId);
    await waitForUpstreams(stack.brokerBase);
  });

  it("relays tools/list_changed from an upstream to a connected client", async () => {
    const { client } = await connect();
    // A notification after which the list has the new tool. One about an earlier change (the previous test restarts
    // the weather server, whose re-listing may be announced late) does not count: each one is followed by a list.
    const changed = new Promise<void>((resolve) =>
      client.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
        if ((await client.listTools()).tools.some((t) => t.name === "notes_search_notes")) resolve();
      }),
    );
    await waitForOpenStream(stack.brokerBase);
    await client.callTool({ name: "notes_enable_search", arguments: {} });
    await withDeadline(changed, 10_000, "tools/list_changed announcing notes_search_notes");
    await client.callTool({ name: "notes_disable_search", arguments: {} });
  });

  it("ends upstream sessions when the client deletes its gateway session", async () => {
    const { client, transport } = await connect();
    const backend = (await serverInfo(client, "weather_server_info")).sessionId;
    const gatewaySession = transport.sessionId ?? "";
    await transport.terminateSession();
    const upstream = await rawPost(stack.weather.url, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }), {
      "mcp-session-id": backend,
      "mcp-protocol-version": "2025-06-18",
    });
    expect(upstream.status).toBe(404);
    const reply = await rawPost(
      stack.url,
      JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "weather_server_info" } }),
      { "mcp-session-id": gatewaySession },
    );
    expect(reply.status).toBe(404);
  });

  it.each([
    ["malformed JSON", "{not json", 400, -32700],
    ["invalid JSON-RPC", JSON.stringify({ jsonrpc: "1.0", id: 1, method: "tools/list" }), 400, -32600],
    ["a batch", JSON.stringify([{ jsonrpc: "2.0", id: 1, method: "ping" }]), 400, -32600],
    [
      "an unknown tool",
      JSON.stringify({ jsonrpc: "2.0", id: 5, method: "tools/call", params: { name: "weather_nope" } }),
      200,
      -32602,
    ],
    [
      "an oversize body",
      JSON.stringify({
        jsonrpc: "2.0",
        id: 6,
        method: "tools/call",
        params: { name: "notes_add_note", arguments: { title: "t", text: "x".repeat(MAX_BODY_BYTES) } },
      }),
      413,
      -31003,
    ],
  ])("answers %s with HTTP %p and JSON-RPC %p", async (_what, body, status, code) => {
    const session = await initialize();
    const reply = await rawPost(stack.url, body, { "mcp-session-id": session, "mcp-protocol-version": "2025-06-18" });
    expect(reply.status).toBe(status);
    expect(reply.json).toMatchObject({ jsonrpc: "2.0", error: { code } });
  });

  it("names the unknown tool and echoes the request id", async () => {
    const session = await initialize();
    const reply = await rawPost(
      stack.url,
      JSON.stringify({ jsonrpc: "2.0", id: "abc", method: "tools/call", params: { name: "weather_nope" } }),
      { "mcp-session-id": session },
    );
    expect(reply.json).toEqual({
      jsonrpc: "2.0",
      id: "abc",
      error: { code: -32602, message: 'unknown tool: "weather_nope"' },
    });
  });

  it.each([
    ["an unknown session", { "mcp-session-id": "g1.zzzz.forged.tag" }, 404, -31002],
    ["no session", {}, 400, -32600],
  ])("answers a tools/call with %s with HTTP %p", async (_what, headers, status, code) => {
    const reply = await rawPost(
      stack.url,
      JSON.stringify({ jsonrpc: "2.0", id: 9, method: "tools/call", params: { name: "weather_server_info" } }),
      headers,
    );
    expect(reply.status).toBe(status);
    expect(reply.json).toMatchObject({ id: 9, error: { code } });
  });

  it.each(SUPPORTED_PROTOCOL_VERSIONS)(
    "negotiates protocol version %s and serves calls made with it",
    async (version) => {
      const init = await rawPost(
        stack.url,
        JSON.stringify({
          jsonrpc: "2.0",
          id: 1,
          method: "initialize",
          params: { protocolVersion: version, capabilities: {}, clientInfo: { name: "v", version: "1" } },
        }),
      );
      expect(init.json).toMatchObject({ result: { protocolVersion: version } });
      const headers = { "mcp-session-id": init.headers.get("mcp-session-id") ?? "", "mcp-protocol-version": version };
      const call = await rawPost(
        stack.url,
        JSON.stringify({
          jsonrpc: "2.0",
          id: 2,
          method: "tools/call",
          params: { name: "weather_server_info", arguments: {} },
        }),
        headers,
      );
      expect(call.status).toBe(200);
      expect(JSON.stringify(call.json)).toContain('\\"server\\":\\"weather\\"');
    },
  );

  it("answers an unsupported mcp-protocol-version with 400 naming it", async () => {
    const session = await initialize();
    const call = await rawPost(
      stack.url,
      JSON.stringify({ jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "weather_server_info" } }),
      {
        "mcp-session-id": session,
        "mcp-protocol-version": "1999-01-01",
      },
    );
    expect(call.status).toBe(400);
    expect(call.json).toMatchObject({
      id: 3,
      error: { code: -32600, message: expect.stringContaining('"1999-01-01"') },
    });
  });

  it("does not let a client-sent x-destination-mcp redirect a call or a list", async () => {
    const session = await initialize();
    const call = await rawPost(
      stack.url,
      JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "tools/call",
        params: { name: "weather_server_info", arguments: {} },
      }),
      {
        "mcp-session-id": session,
        "x-destination-mcp": "notes",
        "x-mcp-tool": "add_note",
      },
    );
    expect(JSON.stringify(call.json)).toContain('\\"server\\":\\"weather\\"');
    let list: Awaited<ReturnType<typeof rawPost>> | undefined;
    const cluster = await clusterOf(stack, async () => {
      list = await rawPost(stack.url, JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }), {
        "mcp-session-id": session,
        "x-destination-mcp": "weather",
      });
    });
    expect(cluster).toBe(stack.envoy ? "mcp_broker" : undefined);
    expect(JSON.stringify(list?.json)).toContain("notes_add_note");
  });
});

async function waitForOpenStream(brokerBase: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const status = (await (await fetch(`${brokerBase}/status`)).json()) as { openStreams: number };
    if (status.openStreams > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("the client's GET notification stream never opened");
}
