import type { RunningServer } from "@mcp-gateway/example-kit";
import {
  LoggingMessageNotificationSchema,
  ResourceUpdatedNotificationSchema,
  type LoggingMessageNotification,
} from "@modelcontextprotocol/sdk/types.js";
import { startModernConformanceFixture } from "../conformance/modern-fixture-server";
import { pollUntil } from "../support/bounded-wait";
import { deployments } from "./stack-modes";
import { connectClient, type ConnectedClient } from "./mcp-client";
import { startGatewayStack, type GatewayStack } from "./gateway-stack";

jest.setTimeout(90_000);

// A legacy (2025, session) SDK v1 client and the 2026 conformance fixture behind the gateway, in every deployment:
// the client's progress token, its logging/setLevel and its resources/subscribe reach the stateless upstream in the
// 2026 form (a progress token of the gateway's, the _meta log level, a subscriptions/listen stream), and what the
// upstream sends back reaches the client in the 2025 form (its own token, log messages, resources/updated on its GET
// stream with the exposed URI).
const modes = deployments();
afterAll(async () => {
  await modes.stop();
});

const WATCHED = "fresh+test://watched-resource";
const STATIC = "fresh+test://static-text";
const MAX_STREAMS = 3;

async function waitForOpenStreams(stack: GatewayStack, count: number): Promise<void> {
  const opened = await pollUntil(async () => {
    const status = (await (await fetch(`${stack.brokerBase}/status`)).json()) as { openStreams: number };
    return status.openStreams >= count;
  }, 5_000);
  if (!opened) throw new Error(`fewer than ${count} GET notification streams opened`);
}

/** The JSON-RPC messages of an SSE body. */
function sseMessages(text: string): Record<string, unknown>[] {
  return text
    .split(/\r?\n/u)
    .filter((line) => line.startsWith("data:"))
    .map((line) => JSON.parse(line.slice("data:".length)) as Record<string, unknown>);
}

describe.each(modes.all)("legacy client's notifications from a 2026 upstream (%s)", (_label, mode) => {
  let fixture: RunningServer;
  let stack: GatewayStack;
  const clients: ConnectedClient[] = [];

  const connect = async (): Promise<
    ConnectedClient & { logs: LoggingMessageNotification["params"][]; updates: string[] }
  > => {
    const connected = await connectClient(stack.url);
    clients.push(connected);
    const logs: LoggingMessageNotification["params"][] = [];
    const updates: string[] = [];
    connected.client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void logs.push(n.params));
    connected.client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void updates.push(n.params.uri));
    return { ...connected, logs, updates };
  };

  beforeAll(async () => {
    fixture = await startModernConformanceFixture({ port: 0 });
    // Three upstream streams at most: a listen stream left open after its subscriptions end shows as a refusal.
    stack = await startGatewayStack(await mode(), {
      extraServers: [`name: fresh, url: "${fixture.url}"`],
      limits: `maxUpstreamStreams: ${MAX_STREAMS}`,
    });
  });
  afterEach(async () => {
    // DELETE ends each session (and closes its listen streams), so every test starts with the whole stream budget.
    const ending = clients.splice(0);
    await Promise.all(ending.map((c) => c.transport.terminateSession().catch(() => undefined)));
    await Promise.all(ending.map((c) => c.close()));
  });
  afterAll(async () => {
    await stack?.stop();
    await fixture?.close();
  });

  it("relays the upstream's progress to the SDK's progress callback", async () => {
    const a = await connect();
    const seen: number[] = [];
    await a.client.callTool({ name: "fresh_test_tool_with_progress", arguments: {} }, undefined, {
      onprogress: (p) => void seen.push(p.progress),
    });
    expect(seen).toEqual([0, 50, 100]);
  });

  it("writes each progress update with the client's own (string) token", async () => {
    const a = await connect();
    const body = {
      jsonrpc: "2.0",
      id: 7,
      method: "tools/call",
      params: { name: "fresh_test_tool_with_progress", arguments: {}, _meta: { progressToken: "client-token-1" } },
    };
    const reply = await fetch(stack.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-session-id": a.transport.sessionId ?? "",
        "mcp-protocol-version": "2025-11-25",
      },
      body: JSON.stringify(body),
    });
    expect(reply.status).toBe(200);
    const messages = sseMessages(await reply.text());
    const progress = messages.filter((m) => m["method"] === "notifications/progress").map((m) => m["params"]);
    expect(progress).toEqual([
      { progressToken: "client-token-1", progress: 0, total: 100 },
      { progressToken: "client-token-1", progress: 50, total: 100 },
      { progressToken: "client-token-1", progress: 100, total: 100 },
    ]);
    expect(messages.at(-1)).toMatchObject({ id: 7, result: { content: [{ type: "text" }] } });
  });

  it("sends no log messages before the client sets a level (the 2026 upstream is not asked for any)", async () => {
    const a = await connect();
    await a.client.callTool({ name: "fresh_test_tool_with_logging", arguments: {} });
    expect(a.logs).toEqual([]);
  });

  it("relays the call's log messages at the level logging/setLevel chose, and none below it", async () => {
    const a = await connect();
    await a.client.setLoggingLevel("debug");
    await a.client.callTool({ name: "fresh_test_tool_with_logging", arguments: {} });
    expect(a.logs.map((l) => [l.level, l.data])).toEqual([
      ["info", "Tool execution started"],
      ["info", "Tool processing data"],
      ["info", "Tool execution completed"],
    ]);
    await a.client.setLoggingLevel("warning");
    await a.client.callTool({ name: "fresh_test_tool_with_logging", arguments: {} });
    expect(a.logs).toHaveLength(3);
  });

  it("delivers resources/updated for a subscribed resource on the GET stream, with the exposed URI", async () => {
    const a = await connect();
    await waitForOpenStreams(stack, 1);
    await a.client.subscribeResource({ uri: WATCHED });
    await a.client.callTool({ name: "fresh_test_watched_resource_update", arguments: {} });
    expect(await pollUntil(() => a.updates.length > 0, 5_000)).toBe(true);
    expect(a.updates).toEqual([WATCHED]);
  });

  it("stops the updates of an unsubscribed resource and keeps the others' subscriptions", async () => {
    const a = await connect();
    const b = await connect();
    await waitForOpenStreams(stack, 2);
    await a.client.subscribeResource({ uri: WATCHED });
    await a.client.subscribeResource({ uri: STATIC });
    await b.client.subscribeResource({ uri: WATCHED });
    await a.client.unsubscribeResource({ uri: WATCHED });
    await a.client.callTool({ name: "fresh_test_watched_resource_update", arguments: {} });
    // b still hears the update (and its arrival bounds the wait for a's, which must not come).
    expect(await pollUntil(() => b.updates.length > 0, 5_000)).toBe(true);
    expect(b.updates).toEqual([WATCHED]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(a.updates).toEqual([]);
  });

  it("closes the listen stream when the last resource is unsubscribed and when the session ends", async () => {
    const a = await connect();
    await a.client.subscribeResource({ uri: WATCHED });
    await a.client.unsubscribeResource({ uri: WATCHED });
    const b = await connect();
    await b.client.subscribeResource({ uri: WATCHED });
    await b.transport.terminateSession();
    // Neither a's nor b's stream holds a slot any more: three other sessions get the whole budget, a fourth does not.
    const others = await Promise.all(Array.from({ length: MAX_STREAMS + 1 }, () => connect()));
    for (const other of others.slice(0, MAX_STREAMS)) await other.client.subscribeResource({ uri: WATCHED });
    await expect(others[MAX_STREAMS]?.client.subscribeResource({ uri: WATCHED })).rejects.toThrow(
      /limits\.maxUpstreamStreams/u,
    );
  });
});
