import { startNode, type RunningProcess } from "@mcp-gateway/example-kit";
import type { Cleanup } from "./gateway-cleanup";

/** The session-counting weather upstream running in its own process (see counting-upstream-main.ts). */
export interface CountingUpstream {
  url: string;
  process: RunningProcess;
  pid: number;
  /** Sessions open upstream now, and DELETEs it has received. */
  sessions(): Promise<{ live: number; deleted: number }>;
}

/** Starts the counting upstream; `cleanup` stops it. */
export async function startCountingUpstream(cleanup: Cleanup): Promise<CountingUpstream> {
  const child = startNode("test/dist/bench/counting-upstream-main.js", []);
  cleanup.add(() => child.stop());
  const match = await child.waitFor(/counting upstream on (\S+) sessions on (\S+)/);
  const countUrl = match[2] ?? "";
  return {
    url: match[1] ?? "",
    process: child,
    pid: child.child.pid ?? 0,
    sessions: async () => (await (await fetch(countUrl)).json()) as { live: number; deleted: number },
  };
}

/** Polls `upstream` every 200 ms until it holds `expected` sessions or `timeoutMs` passes; returns the last count. */
export async function settleSessions(upstream: CountingUpstream, expected: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { live } = await upstream.sessions();
    if (live <= expected || Date.now() > deadline) return live;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
