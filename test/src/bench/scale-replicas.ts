import { startRedisServer } from "../support/redis-server";
import { startCountingUpstream } from "./counting-upstream";
import { Cleanup } from "./gateway-cleanup";
import { percentile } from "./gateway-measure";
import { startStandaloneGateway, waitForReadyUpstreams } from "./gateway-standalone";
import { callTool, closeSession, openSession } from "./scale-raw";

const TOOL = "weather_get_forecast";
const ARGS = { city: "Amsterdam", days: 1 };

/** Latency (ms) of one call. */
async function timed(call: () => Promise<void>): Promise<number> {
  const started = process.hrtime.bigint();
  await call();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

const row = (label: string, ms: number[]): string => {
  const sorted = [...ms].sort((a, b) => a - b);
  return `| ${label} | ${sorted.length} | ${percentile(sorted, 50).toFixed(2)} | ${percentile(sorted, 99).toFixed(2)} |`;
};

/**
 * Two standalone replicas sharing one Redis: each of `sessions` sessions is opened (and its backend session made by
 * a first call) on replica A, then used on A and on B in turn, `calls` times each, one session at a time. The cost is
 * B's latency (the replica that did not create the session) next to A's.
 */
export async function benchReplicas(sessions: number, calls: number): Promise<{ table: string; failed: boolean }> {
  const cleanup = new Cleanup();
  try {
    const redis = await startRedisServer();
    cleanup.add(() => redis.stop());
    const upstream = await startCountingUpstream(cleanup);
    const servers = [{ name: "weather", url: upstream.url }];
    const store = `store: "${redis.url}"`;
    const [a, b] = [
      await startStandaloneGateway(servers, cleanup, "", store),
      await startStandaloneGateway(servers, cleanup, "", store),
    ];
    await Promise.all([waitForReadyUpstreams(a, 1), waitForReadyUpstreams(b, 1)]);
    const onA: number[] = [];
    const onB: number[] = [];
    const firstOnB: number[] = [];
    for (let s = 0; s < sessions; s++) {
      const id = await openSession(a.url);
      await callTool(a.url, id, TOOL, ARGS);
      firstOnB.push(await timed(() => callTool(b.url, id, TOOL, ARGS)));
      for (let i = 0; i < calls; i++) {
        // Alternate which replica goes first, so neither always follows the other.
        const pair = i % 2 === 0 ? [a, b] : [b, a];
        for (const replica of pair) {
          const ms = await timed(() => callTool(replica.url, id, TOOL, ARGS));
          (replica === a ? onA : onB).push(ms);
        }
      }
      await closeSession(a.url, id);
    }
    const p50 = (ms: number[]): number =>
      percentile(
        [...ms].sort((x, y) => x - y),
        50,
      );
    const table = [
      "| calls on | calls | p50 ms | p99 ms |",
      "| --- | --- | --- | --- |",
      row("replica A (created the session)", onA),
      row("replica B (did not), after its first call", onB),
      row("replica B, first call of a session", firstOnB),
      `| added p50 on B vs A | | ${(p50(onB) - p50(onA)).toFixed(2)} | |`,
      `| added p50 of B's first call vs A | | ${(p50(firstOnB) - p50(onA)).toFixed(2)} | |`,
    ].join("\n");
    return { table, failed: false };
  } finally {
    await cleanup.run();
  }
}
