import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { keepaliveIntervalMs, NotificationHub } from "./notification-hub";
import { openEventStream, waitUntil, type EventStream } from "./testing/broker-fixture";

const NOTE = { jsonrpc: "2.0", method: "notifications/tools/list_changed" };

interface ServedHub {
  server: Server;
  open(session: string, expiresInMs?: number): Promise<EventStream>;
  /** Registers a stream for `session` whose client has already disconnected. */
  openGone(session: string): Promise<void>;
}

/** A real HTTP server whose GET /stream/:session responses are SSE streams registered with the hub under test. */
async function serveHub(hub: NotificationHub): Promise<ServedHub> {
  const app = express();
  let lateAdded: () => void = () => undefined;
  app.get("/stream/:session", (request, response) => {
    response.writeHead(200, { "content-type": "text/event-stream" });
    response.flushHeaders();
    const expiresIn = Number(request.query["expiresInMs"] ?? NaN);
    hub.add(request.params.session, response, Number.isNaN(expiresIn) ? undefined : Date.now() + expiresIn);
  });
  // A GET whose client left while its session was being checked: the hub only gets the response once it is closed.
  app.get("/late/:session", (request, response) => {
    response.writeHead(200, { "content-type": "text/event-stream" });
    response.flushHeaders();
    response.on("close", () => {
      hub.add(request.params.session, response);
      lateAdded();
    });
  });
  const server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, "127.0.0.1", () => resolve(listening));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    server,
    open: (session, expiresInMs) =>
      openEventStream(`${base}/stream/${session}${expiresInMs === undefined ? "" : `?expiresInMs=${expiresInMs}`}`, {}),
    openGone: async (session) => {
      const added = new Promise<void>((resolve) => (lateAdded = resolve));
      const stream = await openEventStream(`${base}/late/${session}`, {});
      stream.close();
      await added;
    },
  };
}

describe("NotificationHub", () => {
  let hub: NotificationHub;
  let server: Server;
  let open: ServedHub["open"];
  let openGone: ServedHub["openGone"];
  const streams: EventStream[] = [];

  beforeEach(async () => {
    hub = new NotificationHub();
    ({ server, open, openGone } = await serveHub(hub));
  });

  afterEach(async () => {
    for (const stream of streams.splice(0)) stream.close();
    hub.closeAll();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  /** Opens `count` streams for `session` and waits until the hub holds them. */
  async function openStreams(session: string, count: number): Promise<EventStream[]> {
    const opened: EventStream[] = [];
    for (let i = 0; i < count; i++) opened.push(await open(session));
    streams.push(...opened);
    await waitUntil(() => hub.size === streams.length, `${streams.length} streams registered`);
    return opened;
  }

  it.each<[layout: string, streamsPerSession: Record<string, number>, sessions: number]>([
    ["one session, one stream", { a: 1 }, 1],
    ["one session, two streams", { a: 2 }, 1],
    ["two sessions, one stream each", { a: 1, b: 1 }, 2],
    ["two sessions with two and three streams", { a: 2, b: 3 }, 2],
  ])("broadcast with %s reaches each session exactly once", async (_layout, layout, sessions) => {
    const bySession = new Map<string, EventStream[]>();
    for (const [session, count] of Object.entries(layout)) bySession.set(session, await openStreams(session, count));
    expect(hub.broadcast(NOTE)).toBe(sessions);
    await waitUntil(() => streams.flatMap((s) => s.messages).length >= sessions, "every session's copy");
    await new Promise((resolve) => setTimeout(resolve, 50));
    for (const sessionStreams of bySession.values()) {
      expect(sessionStreams.flatMap((s) => s.messages)).toEqual([NOTE]);
    }
  });

  it("counts every open stream in size", async () => {
    await openStreams("a", 2);
    await openStreams("b", 1);
    expect(hub.size).toBe(3);
  });

  it("returns 0 from broadcast when no stream is open", () => {
    expect(hub.broadcast(NOTE)).toBe(0);
  });

  it("forgets a stream the client closed and reaches its session through the other one", async () => {
    const [first, second] = await openStreams("a", 2);
    first?.close();
    await waitUntil(() => hub.size === 1, "the closed stream to be forgotten");
    expect(hub.broadcast(NOTE)).toBe(1);
    await waitUntil(() => (second?.messages.length ?? 0) === 1, "the notification on the remaining stream");
  });

  it("ignores a stream whose client left before it was added, so the session's live stream gets notified", async () => {
    await openGone("a");
    expect(hub.size).toBe(0);
    const [live] = await openStreams("a", 1);
    expect(hub.broadcast(NOTE)).toBe(1);
    await waitUntil(() => (live?.messages.length ?? 0) === 1, "the notification on the live stream");
  });

  it("ends only the given session's streams on closeSession", async () => {
    const mine = await openStreams("a", 2);
    const [other] = await openStreams("b", 1);
    hub.closeSession("a");
    await Promise.all(mine.map((s) => s.ended));
    expect(hub.size).toBe(1);
    expect(hub.broadcast(NOTE)).toBe(1);
    await waitUntil(() => (other?.messages.length ?? 0) === 1, "the other session's notification");
  });

  it("ends every stream on closeAll", async () => {
    const all = [...(await openStreams("a", 2)), ...(await openStreams("b", 1))];
    hub.closeAll();
    await Promise.all(all.map((s) => s.ended));
    expect(hub.size).toBe(0);
  });

  it("ends a stream when its session expires", async () => {
    const expiring = await open("a", 100);
    streams.push(expiring);
    const lasting = await open("b");
    streams.push(lasting);
    await expiring.ended;
    expect(hub.size).toBe(1);
  });
});

describe("keepaliveIntervalMs", () => {
  // Twice per limits.streamIdleTimeout at least, so Envoy's stream_idle_timeout never cuts a quiet stream.
  it.each([
    [300_000, 20_000],
    [40_000, 20_000],
    [10_000, 5_000],
    [1_000, 500],
    [50, 100],
  ])("streamIdleTimeout %i ms → a keepalive every %i ms", (idle, interval) => {
    expect(keepaliveIntervalMs(idle)).toBe(interval);
  });
});
