import type { UpstreamTarget } from "../upstream/upstream-http";
import { SessionEnder, type SessionEndResult } from "./session-ender";

const target: UpstreamTarget = { name: "up", url: "http://127.0.0.1:1/mcp", headers: {} };

/** A fake `deleteSession` whose answers the test releases one by one; records the peak of DELETEs in flight. */
function heldDeletes() {
  const pending: ((status: number | undefined) => void)[] = [];
  const state = { inFlight: 0, peak: 0, sent: [] as string[] };
  const http = {
    deleteSession: (_t: UpstreamTarget, sessionId: string): Promise<number | undefined> => {
      state.sent.push(sessionId);
      state.inFlight += 1;
      state.peak = Math.max(state.peak, state.inFlight);
      return new Promise((resolve) =>
        pending.push((status) => {
          state.inFlight -= 1;
          resolve(status);
        }),
      );
    },
  };
  return { http, state, release: (status: number | undefined) => pending.shift()?.(status) };
}

describe("SessionEnder", () => {
  it("keeps at most `concurrency` DELETEs in flight and sends every queued one", async () => {
    const { http, state, release } = heldDeletes();
    const ender = new SessionEnder({ http, timeoutMs: 1000, concurrency: 2 });
    const done = Promise.all(["a", "b", "c", "d", "e"].map((id) => ender.end(target, id, "idle")));
    expect(state.sent).toEqual(["a", "b"]);
    for (let i = 0; i < 5; i += 1) {
      release(405);
      await Promise.resolve();
    }
    await done;
    await ender.drained();
    expect(state.sent).toEqual(["a", "b", "c", "d", "e"]);
    expect(state.peak).toBe(2);
  });

  it("drops and counts endings beyond its queue, and counts failures apart", async () => {
    const { http, release } = heldDeletes();
    const results: [string, SessionEndResult][] = [];
    const ender = new SessionEnder({
      http,
      timeoutMs: 1000,
      concurrency: 1,
      maxQueue: 1,
      onEnd: (_server, reason, result) => results.push([reason, result]),
    });
    const first = ender.end(target, "a", "evicted");
    const second = ender.end(target, "b", "evicted");
    await ender.end(target, "c", "shutdown");
    expect(results).toEqual([["shutdown", "dropped"]]);
    release(undefined);
    await first;
    await Promise.resolve();
    release(200);
    await second;
    expect(results).toEqual([
      ["shutdown", "dropped"],
      ["evicted", "failed"],
      ["evicted", "ended"],
    ]);
  });

  it("sends no DELETE for a per-consumer server's session without a consumer credential, and counts it not_sent", async () => {
    const { http, state, release } = heldDeletes();
    const results: [string, SessionEndResult][] = [];
    const ender = new SessionEnder({
      http,
      timeoutMs: 1000,
      onEnd: (_s, reason, result) => results.push([reason, result]),
    });
    const perConsumer = { ...target, auth: { type: "passthrough", audience: "https://gw" } } as const;
    await ender.end(perConsumer, "idle-one", "idle");
    expect(state.sent).toEqual([]);
    // With the consumer's own credential (a client's DELETE) it is sent.
    const ending = ender.end(
      { ...perConsumer, headers: { authorization: "Bearer consumer" } },
      "theirs",
      "client_delete",
    );
    release(200);
    await ending;
    expect(state.sent).toEqual(["theirs"]);
    expect(results).toEqual([
      ["idle", "not_sent"],
      ["client_delete", "ended"],
    ]);
  });

  it("ends nothing for a stateless upstream's empty session id", async () => {
    const { http, state } = heldDeletes();
    await new SessionEnder({ http, timeoutMs: 1000 }).end(target, "", "idle");
    expect(state.sent).toEqual([]);
  });
});
