import { startRedisServer } from "../support/redis-server";
import { startCountingUpstream, settleSessions } from "./counting-upstream";
import { Cleanup } from "./gateway-cleanup";
import { startStandaloneGateway, waitForReadyUpstreams } from "./gateway-standalone";
import { mb, rssBytes } from "./proc-stats";
import { callTool, closeSession, openSession, redisMemory } from "./scale-raw";

/** Sessions opened at once. */
const CONCURRENCY = 32;
const TOOL = "weather_get_forecast";
const ARGS = { city: "Amsterdam", days: 1 };

/** Runs `task(i)` for i below `count`, `limit` at once; counts failures and keeps the first message. */
async function bounded(
  count: number,
  limit: number,
  task: (i: number) => Promise<void>,
): Promise<{ failures: number; first?: string }> {
  const outcome: { failures: number; first?: string } = { failures: 0 };
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      await task(next++).catch((error: unknown) => {
        outcome.failures += 1;
        outcome.first ??= error instanceof Error ? error.message : String(error);
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
  return outcome;
}

/** One row: `count` sessions (initialize, initialized, one routed call each) through one replica on `store`. */
async function runStore(store: "memory" | "redis", count: number): Promise<{ row: string; failures: number }> {
  const cleanup = new Cleanup();
  try {
    const redis = store === "redis" ? await startRedisServer() : undefined;
    if (redis) cleanup.add(() => redis.stop());
    const upstream = await startCountingUpstream(cleanup);
    const sessionsYaml = redis ? `store: "${redis.url}"` : "";
    const gateway = await startStandaloneGateway([{ name: "weather", url: upstream.url }], cleanup, "", sessionsYaml);
    await waitForReadyUpstreams(gateway, 1);
    const pid = gateway.process.child.pid ?? 0;
    const ids: string[] = [];
    // A few sessions first, so the baseline RSS holds a warmed-up process rather than its start-up state.
    await bounded(100, CONCURRENCY, async () => void (await closeSession(gateway.url, await openSession(gateway.url))));
    const [rssBefore, redisBefore] = [rssBytes(pid), redis ? (await redisMemory(redis.port)).rss : 0];
    const started = Date.now();
    const opened = await bounded(count, CONCURRENCY, async () => {
      const id = await openSession(gateway.url);
      ids.push(id);
      await callTool(gateway.url, id, TOOL, ARGS);
    });
    const seconds = (Date.now() - started) / 1000;
    const [rssAfter, redisAfter] = [rssBytes(pid), redis ? await redisMemory(redis.port) : undefined];
    const upstreamRss = rssBytes(upstream.pid);
    const upstreamLive = (await upstream.sessions()).live;
    const closed = await bounded(ids.length, CONCURRENCY, (i) => closeSession(gateway.url, ids[i] as string));
    const afterClose = await settleSessions(upstream, 0, 60_000);
    const per1000 = (bytes: number): string => mb((bytes / count) * 1000);
    const failures = opened.failures + closed.failures;
    const row = [
      store,
      count,
      failures > 0 ? `${failures}: ${opened.first ?? closed.first ?? ""}` : "0",
      (count / seconds).toFixed(0),
      `${mb(rssBefore)} → ${mb(rssAfter)}`,
      per1000(rssAfter - rssBefore),
      redisAfter ? `${mb(redisAfter.rss)} (${redisAfter.keys} keys)` : "",
      redisAfter ? per1000(redisAfter.rss - redisBefore) : "",
      mb(upstreamRss),
      `${upstreamLive} → ${afterClose}`,
    ].join(" | ");
    return { row: `| ${row} |`, failures };
  } finally {
    await cleanup.run();
  }
}

/**
 * `count` sessions through one standalone replica, with the memory store and with Redis (a real redis-server): the
 * gateway's (and Redis's) RSS growth per 1 000 sessions. Raw initialize POSTs, not SDK clients, keep the client cheap.
 */
export async function benchSessions(count: number): Promise<{ table: string; failed: boolean }> {
  const rows: string[] = [];
  let failures = 0;
  for (const store of ["memory", "redis"] as const) {
    const result = await runStore(store, count);
    rows.push(result.row);
    failures += result.failures;
  }
  const head =
    "| store | sessions | failed | sessions/s | gateway RSS MB before → after | gateway MB per 1 000 sessions | Redis RSS MB | Redis MB per 1 000 sessions | upstream RSS MB, all open | upstream sessions: open → after DELETEs |";
  return { table: [head, `|${" --- |".repeat(10)}`, ...rows].join("\n"), failed: failures > 0 };
}
