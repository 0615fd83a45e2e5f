import { GatewayError, JsonRpcErrorCode } from "../errors";
import { listenFixture, readBody, waitUntil, type FixtureServer } from "../testing/fixture-server";
import { UpstreamHttp, type UpstreamTarget } from "./upstream-http";

const PING = { jsonrpc: "2.0", id: 1, method: "ping" };
const SESSION = { sessionId: "s1", protocolVersion: "2025-06-18" };

/** `promise`, or a rejection after `ms`: a starved call fails the test instead of hanging it. */
async function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

// Issue 9, hole 4: long-lived GET notification streams and request/response calls to one upstream must not share one
// connection pool, or 66 open streams starve every call to that upstream.
describe("UpstreamHttp notification streams", () => {
  let server: FixtureServer;
  let target: UpstreamTarget;
  let openGets = 0;
  const aborts: AbortController[] = [];

  beforeAll(async () => {
    server = await listenFixture((req, res) => {
      if (req.method === "GET") {
        openGets += 1;
        req.on("close", () => (openGets -= 1));
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.flushHeaders();
        return;
      }
      void readBody(req).then(() => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ jsonrpc: "2.0", id: 1, result: {} }));
      });
    });
    target = { name: "up", url: server.url, headers: {} };
  });
  afterEach(async () => {
    for (const controller of aborts.splice(0)) controller.abort();
    await waitUntil(() => openGets === 0, "streams closed");
  });
  afterAll(async () => {
    await server.close();
  });

  const openStream = async (http: UpstreamHttp): Promise<void> => {
    const controller = new AbortController();
    aborts.push(controller);
    const reply = await http.openNotifications(target, SESSION, controller.signal);
    reply.body.on("error", () => undefined);
  };

  it("answers a call within its timeout while 66 streams to the same upstream are open", async () => {
    const http = new UpstreamHttp();
    try {
      // Opened side by side: before the fix the 65th waited for a pooled connection forever.
      const opening = Array.from({ length: 66 }, () => openStream(http).catch(() => undefined));
      await waitUntil(() => openGets >= 64, "64 streams at the upstream");
      await new Promise((resolve) => setTimeout(resolve, 200));
      // Bounded twice: before the fix the call queued behind the streams and not even its own timeout ended it.
      const reply = await within(5_000, http.post(target, PING, { timeoutMs: 3_000 }));
      expect(reply.status).toBe(200);
      await Promise.all(opening);
      expect(http.openStreams(target.url)).toBe(66);
    } finally {
      for (const controller of aborts.splice(0)) controller.abort();
      await http.close();
    }
  });

  it("refuses a stream past limits.maxUpstreamStreams with 503 and frees the slot when one closes", async () => {
    const http = new UpstreamHttp({ maxStreams: () => 3 });
    try {
      for (let i = 0; i < 3; i += 1) await openStream(http);
      const refused = await openStream(http).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(GatewayError);
      expect(refused).toMatchObject({ code: JsonRpcErrorCode.UpstreamUnavailable, httpStatus: 503 });
      expect((refused as GatewayError).message).toContain('upstream "up"');
      expect((refused as GatewayError).message).not.toContain("127.0.0.1");
      aborts[0]?.abort();
      await waitUntil(() => http.openStreams(target.url) === 2, "a slot freed");
      await openStream(http);
      expect(http.openStreams(target.url)).toBe(3);
    } finally {
      for (const controller of aborts.splice(0)) controller.abort();
      await http.close();
    }
  });
});

// A call that waits for a connection of a full pool must still end at its deadline (undici alone would keep it queued
// until a connection frees up, deaf to its signal: nodejs/undici#386).
describe("UpstreamHttp with a full call pool", () => {
  let server: FixtureServer;

  beforeAll(async () => {
    server = await listenFixture((req, res) => {
      void readBody(req).then(() => {
        if (req.headers["x-hang"] !== undefined) return;
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ jsonrpc: "2.0", id: 1, result: {} }));
      });
    });
  });
  afterAll(async () => {
    await server.close();
  });

  it("fails a queued call with 503 naming the upstream at its timeout, and serves the next once the pool frees", async () => {
    const http = new UpstreamHttp({ callConnections: 1 });
    const target = { name: "up", url: server.url, headers: {} };
    const slow = new AbortController();
    try {
      const holding = http.open(target, { "x-hang": "1" }, Buffer.from("{}"), {
        headersTimeoutMs: 30_000,
        idleTimeoutMs: 30_000,
        signal: slow.signal,
      });
      const queued = await within(
        5_000,
        http.post(target, PING, { timeoutMs: 500 }).catch((error: unknown) => error),
      );
      expect(queued).toBeInstanceOf(GatewayError);
      expect(queued).toMatchObject({
        code: JsonRpcErrorCode.UpstreamUnavailable,
        httpStatus: 503,
        message: 'upstream "up": no connection free within 500 ms (1 in use, limits.maxUpstreamConnections)',
      });
      expect(http.callConnections(target.url)).toEqual({ inUse: 1, queued: 0, limit: 1 });
      slow.abort();
      await holding.catch(() => undefined);
      expect((await within(5_000, http.post(target, PING, { timeoutMs: 2_000 }))).status).toBe(200);
      await waitUntil(() => http.callConnections(target.url).inUse === 0, "the slot freed");
    } finally {
      slow.abort();
      await http.close();
    }
  });

  it("counts a routed call waiting for a connection as queued, and hands it the connection that frees first", async () => {
    const http = new UpstreamHttp({ callConnections: 1 });
    const target = { name: "up", url: server.url, headers: {} };
    const slow = new AbortController();
    try {
      const holding = http.open(target, { "x-hang": "1" }, Buffer.from("{}"), {
        headersTimeoutMs: 30_000,
        idleTimeoutMs: 30_000,
        signal: slow.signal,
      });
      const waiting = http.open(target, {}, Buffer.from("{}"), { headersTimeoutMs: 10_000, idleTimeoutMs: 10_000 });
      await waitUntil(() => http.callConnections(target.url).queued === 1, "the second call queued");
      slow.abort();
      await holding.catch(() => undefined);
      const reply = await within(5_000, waiting);
      expect(reply.status).toBe(200);
      reply.body.resume();
      await waitUntil(() => http.callConnections(target.url).inUse === 0, "both slots freed");
    } finally {
      slow.abort();
      await http.close();
    }
  });
});
