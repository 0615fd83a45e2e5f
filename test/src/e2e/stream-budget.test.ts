import { request as httpRequest, type ClientRequest } from "node:http";
import { hashApiKey } from "@mcp-gateway/core";
import type { RunningProcess } from "@mcp-gateway/example-kit";
import { startServerEverything } from "@mcp-gateway/local-stack";
import { freePort } from "../support/redis-server";
import { startGatewayStack, type GatewayStack } from "./gateway-stack";
import { connectClient, rawPost, type ConnectedClient } from "./mcp-client";
import { deployments } from "./stack-modes";

jest.setTimeout(180_000);

// Issue 9, hole 4: one consumer starved every consumer of an upstream. Its sessions' open GET /mcp streams each held
// an upstream notification stream out of the 64-connection pool that calls and lazy initializes also need, so other
// consumers' calls hung (standalone) or their new sessions got 504 (Envoy mode). Here two attacking consumers hold
// 80 streams to server-everything (over the old pool) plus slow calls to it, and consumer b's calls must still work;
// the attackers' streams past their caps get 429. Every wait is bounded: before the fix the test fails, not hangs.
const KEYS = { a1: "mcpgw_e2e_stream_attacker_one", a2: "mcpgw_e2e_stream_attacker_two", b: "mcpgw_e2e_stream_victim" };
type Who = keyof typeof KEYS;
const STREAM_CAP = 40;
const CALL_CAP = 6;
const modes = deployments();
afterAll(async () => {
  await modes.stop();
});

const ACCESS = `auth: { apiKeys: { header: authorization } }
consumers:
${(Object.keys(KEYS) as Who[]).map((who) => `  - { name: ${who}, keyHash: "${hashApiKey(KEYS[who])}", policy: all }`).join("\n")}
policies:
  all: { tools: ["*"] }
`;

const as = (who: Who): Record<string, string> => ({ authorization: `Bearer ${KEYS[who]}` });
const call = (id: number, name: string, args: Record<string, unknown>): string =>
  JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args } });

/** `promise`, or a rejection naming `what` after `ms`: a starved request fails the test instead of hanging it. */
async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** An open (or refused) GET /mcp: its status, Retry-After and, when refused, the JSON-RPC error body. */
interface Stream {
  status: number;
  retryAfter: string | undefined;
  error: Record<string, unknown> | undefined;
  request: ClientRequest;
}

/** Opens GET /mcp on `session`; a 200 stream stays open until `request.destroy()`. */
function openStream(url: string, session: string, who: Who): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const headers = { accept: "text/event-stream", "mcp-session-id": session, ...as(who) };
    const request = httpRequest(url, { method: "GET", headers, agent: false }, (response) => {
      const status = response.statusCode ?? 0;
      const retryAfter = response.headers["retry-after"];
      if (status === 200) {
        response.resume();
        return resolve({ status, retryAfter, error: undefined, request });
      }
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => {
        const parsed = JSON.parse(body) as { error?: Record<string, unknown> };
        resolve({ status, retryAfter, error: parsed.error, request });
      });
    });
    request.on("error", reject);
    request.end();
  });
}

/** Runs `work` over `items` with at most `width` in flight (below the per-consumer call cap). */
async function inBatches<T, R>(items: readonly T[], width: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += width) {
    results.push(...(await Promise.all(items.slice(start, start + width).map(work))));
  }
  return results;
}

describe.each(modes.all)("one consumer cannot starve another's calls (%s)", (_label, mode) => {
  let everything: RunningProcess;
  let stack: GatewayStack;
  const streams: Stream[] = [];
  const clients: ConnectedClient[] = [];

  beforeAll(async () => {
    const port = await freePort();
    everything = await startServerEverything(port);
    stack = await startGatewayStack(await mode(), {
      extraServers: [`name: everything, url: "http://127.0.0.1:${port}/mcp"`],
      access: ACCESS,
      limits: `maxStreamsPerConsumer: ${STREAM_CAP}, maxStreamsPerSession: 1, maxConcurrentCallsPerConsumer: ${CALL_CAP}`,
    });
  });
  afterAll(async () => {
    for (const stream of streams) stream.request.destroy();
    await Promise.all(clients.map((client) => client.close()));
    await stack.stop();
    await everything.stop();
  });
  /** A fresh session of `who` with a backend session at server-everything (one echo call), and its GET stream. */
  const sessionWithStream = async (who: Who, index: number): Promise<{ session: string; stream: Stream }> => {
    const initialize = JSON.stringify({
      jsonrpc: "2.0",
      id: 0,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: who, version: "1" } },
    });
    const init = await within(20_000, `${who}'s initialize ${index}`, rawPost(stack.url, initialize, as(who)));
    const session = init.headers.get("mcp-session-id") ?? "";
    const headers = { ...as(who), "mcp-session-id": session };
    const echo = call(index, "everything_echo", { message: `${who} ${index}` });
    const echoed = await within(20_000, `${who}'s call ${index}`, rawPost(stack.url, echo, headers));
    expect(echoed.status).toBe(200);
    const stream = await within(20_000, `${who}'s GET stream ${index}`, openStream(stack.url, session, who));
    streams.push(stream);
    return { session, stream };
  };

  it("refuses an attacker's GET streams past its caps with 429, a JSON-RPC error and Retry-After", async () => {
    const opened = await inBatches([...Array(STREAM_CAP + 4).keys()], 4, (i) => sessionWithStream("a1", i));
    const statuses = opened.map(({ stream }) => stream.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(STREAM_CAP);
    const refused = opened.filter(({ stream }) => stream.status === 429);
    expect(refused).toHaveLength(4);
    for (const { stream } of refused) {
      expect(stream.retryAfter).toBe("5");
      expect(stream.error).toEqual({
        code: -31006,
        message: `too many open GET streams of consumer "a1" (limit ${STREAM_CAP}); close one or retry later`,
      });
    }
    // The per-session cap (1 here): a second stream on a session that has one is refused too.
    const [first] = opened.filter(({ stream }) => stream.status === 200);
    const second = await within(10_000, "a second stream", openStream(stack.url, first?.session ?? "", "a1"));
    streams.push(second);
    expect(second.status).toBe(429);
    expect(second.error?.["message"]).toBe(
      "too many open GET streams of this session (limit 1); close one or retry later",
    );
  });

  it("completes another consumer's calls while two attackers hold 80 streams and slow calls to the same upstream", async () => {
    const more = await inBatches([...Array(STREAM_CAP).keys()], 4, (i) => sessionWithStream("a2", 100 + i));
    expect(more.every(({ stream }) => stream.status === 200)).toBe(true);
    // Slow calls of a1 (4 s each), more than its cap of concurrent calls, all in flight at once.
    const { session } = await sessionWithStream("a1", 999);
    const slow = Array.from({ length: CALL_CAP + 4 }, (_, i) =>
      within(
        60_000,
        `a1's slow call ${i}`,
        rawPost(stack.url, call(500 + i, "everything_trigger-long-running-operation", { duration: 4, steps: 2 }), {
          ...as("a1"),
          "mcp-session-id": session,
        }),
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 500));

    // Consumer b, a real SDK client (with its own GET stream), calls the attacked upstream and another one.
    const victim = await within(20_000, "b's connect", connectClient(stack.url, "b", as("b")));
    clients.push(victim);
    for (let i = 0; i < 5; i += 1) {
      const echoed = await within(
        20_000,
        `b's call ${i}`,
        victim.client.callTool({ name: "everything_echo", arguments: { message: `b ${i}` } }),
      );
      expect(echoed).toMatchObject({ content: [{ type: "text", text: `Echo: b ${i}` }] });
    }
    const forecast = await within(
      20_000,
      "b's weather call",
      victim.client.callTool({ name: "weather_get_forecast", arguments: { city: "Paris" } }),
    );
    expect(forecast.isError).toBeFalsy();

    const replies = await Promise.all(slow);
    const limited = replies.filter((reply) => reply.status === 429);
    expect(replies.filter((reply) => reply.status === 200)).toHaveLength(
      stack.mode.kind === "standalone" ? CALL_CAP : replies.length,
    );
    // Standalone caps a consumer's calls in flight; behind Envoy the cluster's circuit breakers bound them instead.
    expect(limited).toHaveLength(stack.mode.kind === "standalone" ? 4 : 0);
    for (const reply of limited) {
      expect(reply.headers.get("retry-after")).toBe("5");
      expect(reply.json["error"]).toMatchObject({ code: -31006, message: expect.stringContaining('consumer "a1"') });
    }
  });
});
