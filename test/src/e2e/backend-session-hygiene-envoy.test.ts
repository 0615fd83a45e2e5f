import { pollUntil } from "../support/bounded-wait";
import { startGatewayStack, type GatewayStack } from "./gateway-stack";
import { connectClient, serverInfo, type ConnectedClient } from "./mcp-client";
import { deployments } from "./stack-modes";

// In Envoy mode the router creates the backend sessions (the same core code): an idle one is ended upstream too.

jest.setTimeout(90_000);

const { all, stop } = deployments();
afterAll(stop);

const envoyModes = all.filter(([label]) => label.startsWith("Envoy mode"));

async function endedIdle(stack: GatewayStack): Promise<number> {
  const text = await (await fetch(stack.routerMetricsUrl)).text();
  const line = text
    .split("\n")
    .find((l) => l.startsWith("mcp_gateway_backend_sessions_ended_total{") && l.includes('reason="idle"'));
  return line === undefined ? 0 : Number(line.split(" ").at(-1));
}

describe.each(envoyModes)("backend session idle timeout (%s, real Envoy)", (_label, mode) => {
  let stack: GatewayStack;
  let connected: ConnectedClient;
  beforeAll(async () => {
    stack = await startGatewayStack(await mode(), { sessions: "backendIdleTimeout: 1s" });
    connected = await connectClient(stack.url);
  });
  afterAll(async () => {
    await connected?.close();
    await stack?.stop();
  });

  it("DELETEs the router's idle backend session upstream; the next call opens a new one", async () => {
    const first = await serverInfo(connected.client, "weather_server_info");
    expect(await pollUntil(async () => (await endedIdle(stack)) >= 1, 15_000)).toBe(true);
    const next = await serverInfo(connected.client, "weather_server_info");
    expect(next.sessionId).not.toBe(first.sessionId);
    // The idle one is gone upstream, not merely forgotten: the upstream holds as many sessions as before.
    expect(next.sessionCount).toBe(first.sessionCount);
  });
});
