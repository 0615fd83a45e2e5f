import { startServer, type RunningServer } from "../../examples/weather-server/src/index";
import {
  gatewayYaml,
  initializeSession,
  openEventStream,
  startBroker,
  waitUntil,
  type EventStream,
  type RunningBroker,
} from "./testing/broker-fixture";

// Issue 9, hole 4: GET /mcp streams are no longer free and unlimited. Per-consumer caps need an authenticated caller
// (covered end to end in test/src/e2e/stream-budget.test.ts); the per-session cap holds for every caller.
let weather: RunningServer;
let gateway: RunningBroker;
const open: EventStream[] = [];

beforeAll(async () => {
  weather = await startServer({ port: 0 });
  gateway = await startBroker(
    gatewayYaml([{ name: "weather", url: weather.url }], "limits: { maxStreamsPerSession: 2 }"),
  );
});
afterEach(async () => {
  for (const stream of open.splice(0)) stream.close();
  await waitUntil(() => gateway.broker.hub.size === 0, "every stream closed");
});
afterAll(async () => {
  await gateway.close();
  await weather.close();
});

const stream = async (session: string): Promise<EventStream> => {
  const opened = await openEventStream(gateway.mcpUrl, { accept: "text/event-stream", "mcp-session-id": session });
  open.push(opened);
  return opened;
};

/** The body of a refused GET (a JSON-RPC error), read off the raw response. */
const refusal = async (session: string): Promise<{ status: number; retryAfter: string | null; body: unknown }> => {
  const response = await fetch(gateway.mcpUrl, { headers: { accept: "text/event-stream", "mcp-session-id": session } });
  const retryAfter = response.headers.get("retry-after");
  // An accepted stream never ends by itself: close it rather than wait for a body.
  if (response.status === 200) await response.body?.cancel();
  return { status: response.status, retryAfter, body: response.status === 200 ? undefined : await response.json() };
};

describe("GET /mcp stream caps", () => {
  it("refuses a session's third stream with 429, -31006 and Retry-After (limits.maxStreamsPerSession: 2)", async () => {
    const session = await initializeSession(gateway.mcpUrl);
    expect((await stream(session)).status).toBe(200);
    expect((await stream(session)).status).toBe(200);
    const refused = await refusal(session);
    expect(refused.status).toBe(429);
    expect(refused.retryAfter).toBe("5");
    expect(refused.body).toMatchObject({
      jsonrpc: "2.0",
      error: { code: -31006, message: "too many open GET streams of this session (limit 2); close one or retry later" },
    });
  });

  it("counts each session apart", async () => {
    const [first, second] = [await initializeSession(gateway.mcpUrl), await initializeSession(gateway.mcpUrl)];
    await stream(first);
    await stream(first);
    expect((await stream(second)).status).toBe(200);
  });

  it("gives the slot back when a stream closes", async () => {
    const session = await initializeSession(gateway.mcpUrl);
    const first = await stream(session);
    await stream(session);
    expect((await refusal(session)).status).toBe(429);
    first.close();
    await first.ended;
    await waitUntil(() => gateway.broker.hub.size === 1, "the hub to drop the closed stream");
    expect((await stream(session)).status).toBe(200);
  });
});
