import { parseArgs } from "node:util";
import { benchToolCalls } from "./gateway-call-bench";
import { benchOverhead } from "./overhead-bench";
import { benchToolsList } from "./gateway-list-bench";
import { benchTracing } from "./gateway-tracing-bench";
import type { Measurement } from "./gateway-measure";

const PARTS = { overhead: benchOverhead, calls: benchToolCalls, list: benchToolsList, tracing: benchTracing };

/** The parts named by `--parts overhead,calls,list,tracing` (all by default), in that order. */
function selectedParts(): (() => Promise<Measurement[]>)[] {
  const { values } = parseArgs({ options: { parts: { type: "string" } }, strict: true });
  const names = values.parts?.split(",") ?? Object.keys(PARTS);
  return names.map((name) => {
    const part = PARTS[name as keyof typeof PARTS] as (() => Promise<Measurement[]>) | undefined;
    if (!part) throw new Error(`--parts: unknown part "${name}" (known: ${Object.keys(PARTS).join(", ")})`);
    return part;
  });
}

/**
 * The standalone gateway benchmark: bounded loads on 127.0.0.1 only, every ratio against a direct baseline measured
 * in the same run. Nothing here asserts on time; the exit code is 1 only when a call failed (or a part could not run).
 */
async function main(): Promise<number> {
  const started = Date.now();
  const results: Measurement[] = [];
  let broken = false;
  for (const part of selectedParts()) {
    try {
      results.push(...(await part()));
    } catch (error: unknown) {
      broken = true;
      console.error(`${part.name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
    console.log("");
  }
  const failures = results.reduce((sum, m) => sum + m.failures, 0);
  console.log(
    `gateway benchmark done in ${((Date.now() - started) / 1000).toFixed(1)} s: ${results.length} measurements, ${failures} failed calls`,
  );
  return broken || failures > 0 ? 1 : 0;
}

void main().then((code) => {
  process.exitCode = code;
});
