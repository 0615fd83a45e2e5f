import {
  LoggingMessageNotificationSchema,
  ResourceUpdatedNotificationSchema,
  type LoggingMessageNotification,
} from "@modelcontextprotocol/sdk/types.js";
import type { RunningServer } from "@mcp-gateway/example-kit";
import { startConformanceFixture } from "../conformance/fixture-server";
import { connectClient, type ConnectedClient } from "./mcp-client";
import { startGatewayStack, type GatewayStack, type StackMode } from "./gateway-stack";

jest.setTimeout(60_000);

const modes: [string, StackMode][] = [
  ["standalone", { kind: "standalone" }],
  ["Envoy mode", { kind: "envoy", store: "memory" }],
];

async function waitForOpenStreams(stack: GatewayStack, count: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const status = (await (await fetch(`${stack.brokerBase}/status`)).json()) as { openStreams: number };
    if (status.openStreams >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`fewer than ${count} GET notification streams opened`);
}

describe.each(modes)("client-specific notifications through the gateway (%s)", (_label, mode) => {
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
    fixture = await startConformanceFixture({ port: 0 });
    stack = await startGatewayStack(mode, { extraServers: [`name: fixture, url: "${fixture.url}", prefix: fx_`] });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await stack?.stop();
    await fixture?.close();
  });

  it("relays a call's log messages to the caller", async () => {
    const a = await connect();
    await a.client.callTool({ name: "fx_test_tool_with_logging", arguments: {} });
    expect(a.logs.map((l) => l.data)).toEqual([
      "Tool execution started",
      "Tool processing data",
      "Tool execution completed",
    ]);
  });

  it("applies logging/setLevel to upstream sessions created afterwards", async () => {
    const a = await connect();
    await a.client.setLoggingLevel("error");
    await a.client.callTool({ name: "fx_test_tool_with_logging", arguments: {} });
    expect(a.logs).toEqual([]);
  });

  it("applies logging/setLevel to upstream sessions that already exist", async () => {
    const a = await connect();
    await a.client.callTool({ name: "fx_test_tool_with_logging", arguments: {} });
    expect(a.logs).toHaveLength(3);
    await a.client.setLoggingLevel("error");
    await a.client.callTool({ name: "fx_test_tool_with_logging", arguments: {} });
    expect(a.logs).toHaveLength(3);
  });

  it("rejects an unknown log level with -32602", async () => {
    const a = await connect();
    await expect(
      a.client.request(
        { method: "logging/setLevel", params: { level: "loud" } },
        LoggingMessageNotificationSchema.shape.params,
      ),
    ).rejects.toThrow(/logging\/setLevel needs params.level/);
  });

  it("relays notifications/resources/updated from the upstream's own stream to the subscribed client only", async () => {
    const a = await connect();
    const b = await connect();
    await a.client.subscribeResource({ uri: "fx+test://watched-resource" });
    await b.client.subscribeResource({ uri: "fx+test://watched-resource" });
    await waitForOpenStreams(stack, 2);
    await new Promise((resolve) => setTimeout(resolve, 300)); // the broker's relay opens the upstream GET streams
    await a.client.callTool({ name: "fx_test_watched_resource_update", arguments: {} });
    for (let i = 0; i < 100 && a.updates.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(a.updates).toEqual(["fx+test://watched-resource"]);
    expect(b.updates).toEqual([]);
  });
});
