import { deployments } from "./stack-modes";
import { connectClient, type ConnectedClient } from "./mcp-client";
import { metricValue, startGatewayStack, type GatewayStack } from "./gateway-stack";

jest.setTimeout(60_000);

// Envoy mode only: the question is whether Envoy itself routes a call to the upstream's cluster, or answers
// route_not_found (a 404) that the router then mistakes for a lost backend session and "heals" by calling the
// upstream itself on a fresh backend session: the calls still succeed, slowly, leaking one upstream session each.
const modes = deployments();
const envoyModes = modes.all.filter(([label]) => label.startsWith("Envoy mode"));
afterAll(async () => {
  await modes.stop();
});

async function envoyCounter(stack: GatewayStack, name: string): Promise<number> {
  const text = await (await fetch(`${stack.envoy?.adminUrl ?? ""}/stats?filter=^${name}$`)).text();
  const match = /: (\d+)$/m.exec(text);
  if (!match) throw new Error(`Envoy has no counter ${name}: ${text}`);
  return Number(match[1]);
}

describe.each(envoyModes)("routed calls go through Envoy's upstream route (%s)", (_label, mode) => {
  let stack: GatewayStack;
  let connected: ConnectedClient;

  beforeAll(async () => {
    stack = await startGatewayStack(await mode());
    connected = await connectClient(stack.url);
  });
  afterAll(async () => {
    await connected.close();
    await stack.stop();
  });

  it("reaches the upstream's cluster via Envoy, never through a replay, on one backend session", async () => {
    const started = Date.now();
    for (const city of ["Paris", "Oslo", "Lima"]) {
      const result = await connected.client.callTool({ name: "weather_get_forecast", arguments: { city } });
      expect(result.isError).toBeFalsy();
    }
    const routed = await stack.envoy?.routeSince(started, (route) => route.cluster !== "mcp_broker");
    expect(routed).toMatchObject({ cluster: "mcp_server_weather", status: 200, details: "via_upstream" });
    expect(await envoyCounter(stack, "http.mcp.no_route")).toBe(0);
    const metrics = await (await fetch(stack.routerMetricsUrl)).text();
    expect(metricValue(metrics, "mcp_router_sessions_healed_total", { server: "weather" })).toBe(0);
    expect(metricValue(metrics, "mcp_router_backend_sessions_total", { server: "weather", outcome: "created" })).toBe(
      1,
    );
  });

  it("routes a call whose client asserts its own x-forwarded-proto", async () => {
    const started = Date.now();
    const response = await fetch(stack.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-session-id": connected.transport.sessionId ?? "",
        "mcp-protocol-version": "2025-06-18",
        "x-forwarded-proto": "https",
      },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 7,
        method: "tools/call",
        params: { name: "weather_get_alerts", arguments: { region: "Alps" } },
      }),
    });
    await response.arrayBuffer();
    expect(response.status).toBe(200);
    const routed = await stack.envoy?.routeSince(started, (route) => route.cluster !== "mcp_broker");
    expect(routed).toMatchObject({ cluster: "mcp_server_weather", details: "via_upstream" });
  });
});
