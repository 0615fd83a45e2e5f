import { connectClient } from "./mcp-client";
import { startGatewayStack, type GatewayStack } from "./gateway-stack";

jest.setTimeout(60_000);

// Envoy's ext_proc client resets every stream it ends, and Node's HTTP/2 server answers more than 1000 resets on one
// connection with a GOAWAY that refuses the streams then in flight. Enough requests, concurrently, to cross that
// burst on one connection (the rendered router cluster must move to a fresh connection long before), and no more:
// the suite stays short. Envoy mode only: standalone has no ext_proc; the router runs the same in either store.
const REQUESTS = 1_600;
const CONCURRENCY = 16;

let stack: GatewayStack;
let session: string;
beforeAll(async () => {
  stack = await startGatewayStack({ kind: "envoy", store: "memory" });
  const client = await connectClient(stack.url);
  session = client.transport.sessionId ?? "";
  await client.close();
});
afterAll(async () => {
  await stack.stop();
});

/** One of Envoy's counters from its admin interface. */
async function envoyCounter(name: string): Promise<number> {
  const text = await (await fetch(`${stack.envoy?.adminUrl ?? ""}/stats?filter=^${name}$`)).text();
  const match = /: (\d+)$/m.exec(text);
  if (!match) throw new Error(`Envoy has no counter ${name}: ${text}`);
  return Number(match[1]);
}

/** POSTs `count` pings (each one ext_proc stream: headers, body, response headers), `concurrency` at a time. */
async function pings(count: number, concurrency: number): Promise<Map<number, number>> {
  const statuses = new Map<number, number>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const id = next++;
      const response = await fetch(stack.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          "mcp-session-id": session,
          "mcp-protocol-version": "2025-06-18",
        },
        body: JSON.stringify({ jsonrpc: "2.0", id, method: "ping" }),
      });
      await response.arrayBuffer();
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return statuses;
}

describe("ext_proc streams under load, through a real Envoy", () => {
  it("serves every request of a sustained concurrent load: the router never refuses an ext_proc stream", async () => {
    const started = Date.now();
    const statuses = await pings(REQUESTS, CONCURRENCY);
    // Envoy's log of the pings only (the client's GET stream, closed at set-up, is logged as a disconnect).
    const failed = (stack.envoy?.routes ?? []).filter(
      (route) => route.method === "POST" && route.startMs >= started && route.status !== 200,
    );
    expect({ statuses: [...statuses], failed: failed.slice(0, 3) }).toEqual({
      statuses: [[200, REQUESTS]],
      failed: [],
    });
    // The router never sent Envoy a GOAWAY (what refuses the streams in flight): Envoy moved to fresh connections itself.
    expect(await envoyCounter("cluster.mcp_router.upstream_cx_close_notify")).toBe(0);
    expect(await envoyCounter("cluster.mcp_router.upstream_cx_total")).toBeGreaterThan(2);
  });
});
