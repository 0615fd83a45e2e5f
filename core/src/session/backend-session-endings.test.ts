import { LATEST_PROTOCOL_VERSION } from "@modelcontextprotocol/sdk/types.js";
import {
  startSessionCountingUpstream,
  type SessionCountingUpstream,
} from "../../../test/src/support/session-counting-upstream";
import { pollUntil } from "../../../test/src/support/bounded-wait";
import { UpstreamHttp, type UpstreamTarget } from "../upstream/upstream-http";
import { BackendSessionManager } from "./backend-sessions";
import { MemoryBackendSessionStore } from "./memory-store";
import { SessionEnder, type SessionEndReason } from "./session-ender";

const TTL_MS = 60_000;

describe("BackendSessionManager ends the upstream sessions it stops using", () => {
  let upstream: SessionCountingUpstream;
  let target: UpstreamTarget;
  let http: UpstreamHttp;
  let reasons: SessionEndReason[];
  let manager: BackendSessionManager | undefined;

  beforeEach(async () => {
    upstream = await startSessionCountingUpstream();
    target = { name: "weather", url: upstream.url, headers: {} };
    http = new UpstreamHttp();
    reasons = [];
  });

  afterEach(async () => {
    manager?.stopSweeping();
    await http.close();
    await upstream.close();
  });

  function managerWith(options: { maxSessions?: number; idleMs?: number } = {}): BackendSessionManager {
    manager = new BackendSessionManager({
      store: new MemoryBackendSessionStore(options.maxSessions ?? 100),
      http,
      ender: new SessionEnder({ http, timeoutMs: 5_000, onEnd: (_s, reason) => reasons.push(reason) }),
      idleTimeoutMs: () => options.idleMs ?? TTL_MS,
      targets: () => [target],
      initTimeoutMs: 5_000,
      clientInfo: { name: "gateway-test", version: "0.0.0" },
    });
    return manager;
  }

  const acquire = (m: BackendSessionManager, gateway: string) =>
    m.acquire(gateway, target, LATEST_PROTOCOL_VERSION, TTL_MS);

  const endedWithin = (count: number): Promise<boolean> => pollUntil(() => reasons.length >= count, 10_000);

  it("DELETEs the session the LRU bound evicts", async () => {
    const m = managerWith({ maxSessions: 2 });
    const first = await acquire(m, "g1");
    await acquire(m, "g2");
    await acquire(m, "g3");
    expect(await endedWithin(1)).toBe(true);
    expect(upstream.deleted).toEqual([first.sessionId]);
    expect(reasons).toEqual(["evicted"]);
    expect(upstream.live()).toBe(2);
  });

  it("DELETEs a session idle past the idle timeout", async () => {
    const m = managerWith({ idleMs: 100 });
    m.startSweeping();
    const session = await acquire(m, "g1");
    expect(await endedWithin(1)).toBe(true);
    expect(upstream.deleted).toEqual([session.sessionId]);
    expect(reasons).toEqual(["idle"]);
    expect(upstream.live()).toBe(0);
  });

  it("DELETEs the sessions of a removed server", async () => {
    const m = managerWith();
    await Promise.all([acquire(m, "g1"), acquire(m, "g2")]);
    await m.endServer(target);
    expect(await endedWithin(2)).toBe(true);
    expect(reasons).toEqual(["server_removed", "server_removed"]);
    expect(upstream.live()).toBe(0);
    // The mapping is gone too: the next call starts a new session.
    await acquire(m, "g1");
    expect(upstream.live()).toBe(1);
  });

  it("DELETEs every session it holds on close", async () => {
    const m = managerWith();
    await Promise.all([acquire(m, "g1"), acquire(m, "g2"), acquire(m, "g3")]);
    expect(upstream.live()).toBe(3);
    await m.close();
    expect(reasons).toEqual(["shutdown", "shutdown", "shutdown"]);
    expect(upstream.live()).toBe(0);
  });

  it("DELETEs a gateway session's sessions on endAll", async () => {
    const m = managerWith();
    const ended = await acquire(m, "g1");
    await acquire(m, "g2");
    await m.endAll("g1", [target]);
    expect(upstream.deleted).toEqual([ended.sessionId]);
    expect(reasons).toEqual(["client_delete"]);
    expect(upstream.live()).toBe(1);
  });
});
