import { connectClient, resultJson } from "./mcp-client";
import { startGatewayStack, type GatewayStack } from "./gateway-stack";
import { deployments } from "./stack-modes";
import { waitUntil } from "../../../broker/src/testing/broker-fixture";
import { envoyStat, healthFlags } from "../support/envoy-admin";

jest.setTimeout(90_000);

const modes = deployments();
afterAll(() => modes.stop());

/** A raw tools/call on an existing gateway session: its status, body and how long the answer took. */
async function callForecast(url: string, sessionId: string): Promise<{ status: number; body: string; ms: number }> {
  const started = Date.now();
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-session-id": sessionId,
      "mcp-protocol-version": "2025-06-18",
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 7,
      method: "tools/call",
      params: { name: "weather_get_forecast", arguments: { city: "Oslo", days: 1 } },
    }),
    signal: AbortSignal.timeout(20_000),
  });
  const body = await response.text();
  return { status: response.status, body, ms: Date.now() - started };
}

// Issue 10, part 5: Envoy checks every cluster actively (gRPC health for the router, /healthz for the broker, a TCP
// connect for each upstream, on the gateway's `health` interval: 300 ms in these stacks) and ejects a dead upstream,
// whose calls then get 503 at once instead of waiting on a connect. Standalone has no Envoy: a dead upstream's call
// fails quickly there too.
describe.each(modes.all)("upstream health (%s)", (_label, mode) => {
  let stack: GatewayStack;

  beforeAll(async () => {
    stack = await startGatewayStack(await mode());
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it("Envoy checks the router over gRPC health, the broker and every upstream, and finds them healthy", async () => {
    const envoy = stack.envoy;
    if (!envoy) return expect(stack.mode.kind).toBe("standalone");
    const clusters = ["mcp_router", "mcp_broker", "mcp_server_weather", "mcp_server_notes"];
    await waitUntil(
      async () => {
        const passed = await Promise.all(
          clusters.map((c) => envoyStat(envoy.adminUrl, `cluster.${c}.health_check.success`)),
        );
        return passed.every((count) => count > 0);
      },
      "every cluster has passed an active check",
      10_000,
    );
    for (const cluster of clusters) expect(await healthFlags(envoy.adminUrl, cluster)).toEqual(["healthy"]);
    expect(await envoyStat(envoy.adminUrl, "cluster.mcp_router.health_check.failure")).toBe(0);
  });

  it("answers a dead upstream's calls at once (Envoy marks it unhealthy), and uses it again once it is back", async () => {
    const { client, transport, close } = await connectClient(stack.url);
    const sessionId = transport.sessionId ?? "";
    try {
      // A first call creates the backend session, so the next one is routed to the upstream's cluster.
      const before = await client.callTool({ name: "weather_get_forecast", arguments: { city: "Oslo", days: 1 } });
      expect(resultJson(before)).toMatchObject({ city: "Oslo" });
      await stack.weather.stop();
      const envoy = stack.envoy;
      if (envoy) {
        await waitUntil(
          async () => {
            const [flags] = await healthFlags(envoy.adminUrl, "mcp_server_weather");
            return flags?.includes("/failed_active_hc") ?? false;
          },
          "Envoy marks the dead upstream unhealthy",
          10_000,
        );
      }
      const sentAt = Date.now();
      const dead = await callForecast(stack.url, sessionId);
      // A "did not hang" bound, not a performance figure: the connect timeout is 5 s.
      expect(dead.ms).toBeLessThan(2_000);
      expect(dead.body).not.toContain('"result"');
      if (envoy) {
        // Routed to the unhealthy cluster, the call is answered by Envoy itself without a connect attempt.
        expect(dead.status).toBe(503);
        const route = await envoy.routeSince(sentAt, (r) => r.method === "POST");
        expect(route).toMatchObject({ cluster: "mcp_server_weather", details: "no_healthy_upstream", status: 503 });
      } else {
        // Standalone has no Envoy: the forwarder's connect is refused at once, a JSON-RPC 502 naming the server.
        expect(dead.status).toBe(502);
        expect(dead.body).toContain('upstream \\"weather\\" is unreachable');
      }

      await stack.restartWeather();
      if (envoy) {
        await waitUntil(
          async () => {
            return (await healthFlags(envoy.adminUrl, "mcp_server_weather")).join() === "healthy";
          },
          "Envoy marks the upstream healthy again",
          10_000,
        );
      }
      // The restarted server lost the backend session: the gateway heals it and the call goes through. Envoy's worker
      // takes the host back a little after the admin shows it healthy (worker update, outlier ejection ending), so the
      // call is retried for a bounded time.
      let after: unknown;
      await waitUntil(
        async () => {
          after = await client.callTool({ name: "weather_get_forecast", arguments: { city: "Bergen", days: 1 } });
          return true;
        },
        "a call to the restarted upstream succeeds",
        10_000,
      );
      expect(resultJson(after)).toMatchObject({ city: "Bergen" });
    } finally {
      await close();
    }
  });
});
