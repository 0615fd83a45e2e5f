import { LATEST_PROTOCOL_VERSION } from "@modelcontextprotocol/sdk/types.js";
import { startServer as startWeather } from "../../../examples/weather-server/src/index";
import { GatewayError, JsonRpcErrorCode } from "../errors";
import { listenFixture, readBody, waitUntil, type FixtureServer } from "../testing/fixture-server";
import { parseSse } from "../upstream/sse";
import { UpstreamHttp, type UpstreamTarget } from "../upstream/upstream-http";
import type { BackendSession } from "./backend-store";
import { BackendSessionManager, type BackendSessionOutcome } from "./backend-sessions";
import { MemoryBackendSessionStore } from "./memory-store";
import { SessionEnder } from "./session-ender";

const TTL_MS = 60_000;
const INIT_TIMEOUT_MS = 300;

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

type Answer = (message: { method: string; id?: unknown }) => Reply | undefined;

/** A raw upstream answering each JSON-RPC message as `answer` says (undefined: never); records DELETEd session ids. */
async function rawUpstream(answer: Answer): Promise<FixtureServer & { deleted: string[] }> {
  const deleted: string[] = [];
  const server = await listenFixture((req, res) => {
    if (req.method === "DELETE") {
      deleted.push(String(req.headers["mcp-session-id"]));
      res.writeHead(200).end();
      return;
    }
    void readBody(req).then((text) => {
      const reply = answer(JSON.parse(text) as { method: string; id?: unknown });
      if (!reply) return;
      res.writeHead(reply.status, { "content-type": "application/json", ...reply.headers });
      res.end(reply.body === undefined ? "" : JSON.stringify(reply.body));
    });
  });
  return { ...server, deleted };
}

const S1 = { "mcp-session-id": "s1" };

const initResult = (id: unknown, protocolVersion: string): unknown => ({
  jsonrpc: "2.0",
  id,
  result: { protocolVersion, capabilities: { tools: {} }, serverInfo: { name: "raw", version: "0" } },
});

/** Calls server_info on the upstream directly, as the given backend session. */
async function serverInfo(url: string, session: BackendSession): Promise<{ sessionId: string; sessionCount: number }> {
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-session-id": session.sessionId,
      "mcp-protocol-version": session.protocolVersion,
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: { name: "server_info", arguments: {} },
    }),
  });
  if (response.status !== 200) throw new Error(`server_info answered HTTP ${response.status}`);
  const data = parseSse(await response.text()).at(-1)?.data ?? "null";
  const reply = JSON.parse(data) as { result: { content: { text: string }[] } };
  return JSON.parse(reply.result.content[0]?.text ?? "null") as { sessionId: string; sessionCount: number };
}

describe("BackendSessionManager", () => {
  const servers: FixtureServer[] = [];
  let http: UpstreamHttp;
  let outcomes: BackendSessionOutcome[];
  let manager: BackendSessionManager;

  // Generous by default: a cold example server's first initialize can be slow on a loaded machine.
  const managerWith = (initTimeoutMs: number): BackendSessionManager =>
    new BackendSessionManager({
      store: new MemoryBackendSessionStore(100),
      http,
      ender: new SessionEnder({ http, timeoutMs: initTimeoutMs }),
      idleTimeoutMs: () => TTL_MS,
      targets: () => [],
      initTimeoutMs,
      clientInfo: { name: "gateway-test", version: "0.0.0" },
      onAcquire: (_server, outcome) => outcomes.push(outcome),
    });

  beforeEach(() => {
    http = new UpstreamHttp();
    outcomes = [];
    manager = managerWith(5_000);
  });

  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
    await http.close();
  });

  async function weather(): Promise<UpstreamTarget> {
    const server = await startWeather({ port: 0 });
    servers.push(server);
    return { name: "weather", url: server.url, headers: {} };
  }

  let deleted: string[];

  async function raw(answer: Answer): Promise<UpstreamTarget> {
    const server = await rawUpstream(answer);
    servers.push(server);
    deleted = server.deleted;
    return { name: "raw", url: server.url, headers: {} };
  }

  const acquire = (gateway: string, target: UpstreamTarget): Promise<BackendSession> =>
    manager.acquire(gateway, target, LATEST_PROTOCOL_VERSION, TTL_MS);

  it("initializes a new upstream session on the first acquire", async () => {
    const target = await weather();
    const session = await acquire("g1", target);
    expect(session.protocolVersion).toBe(LATEST_PROTOCOL_VERSION);
    expect(await serverInfo(target.url, session)).toEqual({
      server: "weather",
      sessionId: session.sessionId,
      sessionCount: 1,
    });
    expect(outcomes).toEqual(["created"]);
  });

  it("reuses the session on the next acquire", async () => {
    const target = await weather();
    const first = await acquire("g1", target);
    expect(await acquire("g1", target)).toEqual(first);
    expect(outcomes).toEqual(["created", "reused"]);
    expect((await serverInfo(target.url, first)).sessionCount).toBe(1);
  });

  it("runs one initialize for 20 concurrent first acquires", async () => {
    const target = await weather();
    const sessions = await Promise.all(Array.from({ length: 20 }, () => acquire("g1", target)));
    expect(new Set(sessions.map((s) => s.sessionId)).size).toBe(1);
    expect(outcomes.filter((o) => o === "created")).toHaveLength(1);
    expect(outcomes.filter((o) => o !== "created").every((o) => o === "joined" || o === "reused")).toBe(true);
    expect((await serverInfo(target.url, sessions[0]!)).sessionCount).toBe(1);
  });

  it("gives different gateway sessions different upstream sessions", async () => {
    const target = await weather();
    const [a, b] = await Promise.all([acquire("g1", target), acquire("g2", target)]);
    expect(a.sessionId).not.toBe(b.sessionId);
    expect((await serverInfo(target.url, a)).sessionCount).toBe(2);
  });

  it("creates a new session after invalidate", async () => {
    const target = await weather();
    const first = await acquire("g1", target);
    expect(await manager.invalidate("g1", "weather", first.sessionId)).toBe(true);
    const second = await acquire("g1", target);
    expect(second.sessionId).not.toBe(first.sessionId);
    expect(outcomes).toEqual(["created", "created"]);
  });

  it("keeps a newer mapping when invalidating a stale upstream session id", async () => {
    const target = await weather();
    const current = await acquire("g1", target);
    expect(await manager.invalidate("g1", "weather", "stale-id")).toBe(false);
    expect(await acquire("g1", target)).toEqual(current);
  });

  it("ends the upstream sessions of a gateway session with DELETE on endAll", async () => {
    const target = await weather();
    const ended = await acquire("g1", target);
    const kept = await acquire("g2", target);
    expect((await serverInfo(target.url, kept)).sessionCount).toBe(2);
    await manager.endAll("g1", [target]);
    expect((await serverInfo(target.url, kept)).sessionCount).toBe(1);
    await expect(serverInfo(target.url, ended)).rejects.toThrow("HTTP 404");
    await acquire("g1", target);
    expect(outcomes.at(-1)).toBe("created");
  });

  it("fails within the init timeout with an UpstreamTimeout naming the server when the upstream never answers", async () => {
    const target = await raw(() => undefined);
    manager = managerWith(INIT_TIMEOUT_MS);
    const started = Date.now();
    const error = await acquire("g1", target).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(INIT_TIMEOUT_MS + 3_000); // vs a hang: generous on a loaded machine
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ code: JsonRpcErrorCode.UpstreamTimeout, httpStatus: 504 });
    expect((error as GatewayError).message).toContain('upstream "raw"');
    expect(outcomes).toEqual(["failed"]);
  });

  it("ends the session of an initialize answered after the gateway stopped waiting (no session left upstream)", async () => {
    // The upstream opens its session at once but answers only after the gateway's init timeout.
    const lateDeleted: string[] = [];
    const late = await listenFixture((req, res) => {
      if (req.method === "DELETE") {
        lateDeleted.push(String(req.headers["mcp-session-id"]));
        res.writeHead(200).end();
        return;
      }
      void readBody(req).then((text) => {
        const message = JSON.parse(text) as { id?: unknown };
        setTimeout(() => {
          res.writeHead(200, { "content-type": "application/json", ...S1 });
          res.end(JSON.stringify(initResult(message.id, LATEST_PROTOCOL_VERSION)));
        }, INIT_TIMEOUT_MS * 3);
      });
    });
    servers.push(late);
    manager = managerWith(INIT_TIMEOUT_MS);
    const target = { name: "late", url: late.url, headers: {} };
    await expect(acquire("g1", target)).rejects.toMatchObject({
      code: JsonRpcErrorCode.UpstreamTimeout,
      httpStatus: 504,
    });
    await waitUntil(() => lateDeleted.includes("s1"), "the late session to be DELETEd");
  });

  it("bounds the whole handshake, including a notifications/initialized that is never answered", async () => {
    const target = await raw((m) =>
      m.method === "initialize"
        ? { status: 200, body: initResult(m.id, LATEST_PROTOCOL_VERSION), headers: S1 }
        : undefined,
    );
    manager = managerWith(INIT_TIMEOUT_MS);
    const started = Date.now();
    await expect(acquire("g1", target)).rejects.toMatchObject({ code: JsonRpcErrorCode.UpstreamTimeout });
    expect(Date.now() - started).toBeLessThan(INIT_TIMEOUT_MS + 3_000); // vs a hang: generous on a loaded machine
  });

  it.each<[string, (m: { method: string; id?: unknown }) => Reply, string]>([
    [
      "an unsupported protocol version",
      (m) => ({ status: 200, body: initResult(m.id, "1999-01-01"), headers: S1 }),
      'unsupported protocol version "1999-01-01"',
    ],
    ["a 404 to initialize", () => ({ status: 404, body: { error: "no" } }), "HTTP 404 to initialize"],
    [
      "a JSON-RPC error to initialize",
      (m) => ({ status: 200, body: { jsonrpc: "2.0", id: m.id, error: { code: -32602, message: "bad params" } } }),
      "initialize failed: bad params (-32602)",
    ],
    [
      "a reply without a result",
      (m) => ({ status: 200, body: { jsonrpc: "2.0", id: m.id } }),
      "no initialize result in the reply",
    ],
    [
      "a 404 to notifications/initialized",
      (m) =>
        m.method === "initialize"
          ? { status: 200, body: initResult(m.id, LATEST_PROTOCOL_VERSION), headers: S1 }
          : { status: 404 },
      "HTTP 404 to notifications/initialized",
    ],
    ...["bad id", "bad\tid", "caf\u00e9"].map(
      (id): [string, (m: { method: string; id?: unknown }) => Reply, string] => [
        `the session id ${JSON.stringify(id)} (not visible ASCII)`,
        (m) => ({ status: 200, body: initResult(m.id, LATEST_PROTOCOL_VERSION), headers: { "mcp-session-id": id } }),
        "its session id is not visible ASCII (0x21-0x7E)",
      ],
    ),
  ])("refuses %s with an UpstreamUnavailable naming it", async (_case, answer, detail) => {
    const target = await raw(answer);
    const error = await acquire("g1", target).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: JsonRpcErrorCode.UpstreamUnavailable, httpStatus: 502 });
    expect((error as GatewayError).message).toBe(`upstream "raw" could not be initialized: ${detail}`);
  });

  it.each<[string, Answer]>([
    ["an unsupported protocol version", (m) => ({ status: 200, body: initResult(m.id, "1999-01-01"), headers: S1 })],
    [
      "a refused notifications/initialized",
      (m) =>
        m.method === "initialize"
          ? { status: 200, body: initResult(m.id, LATEST_PROTOCOL_VERSION), headers: S1 }
          : { status: 400 },
    ],
  ])("ends the upstream session it will not use after %s", async (_case, answer) => {
    const target = await raw(answer);
    await expect(acquire("g1", target)).rejects.toThrow(GatewayError);
    await waitUntil(() => deleted.length > 0, "a DELETE");
    expect(deleted).toEqual(["s1"]);
  });

  it("accepts a session id of every visible ASCII character", async () => {
    const id = Array.from({ length: 0x7e - 0x20 }, (_, i) => String.fromCharCode(0x21 + i)).join("");
    const target = await raw((m) =>
      m.method === "initialize"
        ? { status: 200, body: initResult(m.id, LATEST_PROTOCOL_VERSION), headers: { "mcp-session-id": id } }
        : { status: 202 },
    );
    await expect(acquire("g1", target)).resolves.toMatchObject({ sessionId: id });
  });

  it("hands one failure to every concurrent caller and does not cache it", async () => {
    let healthy = false;
    const target = await raw((m) =>
      !healthy
        ? { status: 503 }
        : m.method === "initialize"
          ? { status: 200, body: initResult(m.id, LATEST_PROTOCOL_VERSION), headers: S1 }
          : { status: 202 },
    );
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => acquire("g1", target)));
    expect(results.every((r) => r.status === "rejected")).toBe(true);
    expect(outcomes.sort()).toEqual(["failed", "joined", "joined", "joined", "joined"]);
    healthy = true;
    expect(await acquire("g1", target)).toEqual({ sessionId: "s1", protocolVersion: LATEST_PROTOCOL_VERSION });
  });
});
