import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GatewaySessionCodec } from "@mcp-gateway/core";
import { startNode, type RunningProcess } from "@mcp-gateway/example-kit";
import { drive, mergeRuns, type RunResult, type ScriptedRequest } from "./ext-proc-driver";
import { startOtlpSink } from "./otlp-sink";

const SECRET = "router-bench-tracing-secret-0123456789";

/** The tracing sides: off, on with every trace sampled, on with none sampled (all export to a no-op sink). */
const SIDES = [
  { name: "router, tracing off", tracing: "" },
  { name: "router, tracing on", tracing: "sampleRatio: 1" },
  { name: "router, tracing 0%", tracing: "sampleRatio: 0" },
] as const;

function yaml(weatherUrl: string, sinkUrl: string, tracing: string): string {
  const section = tracing === "" ? "" : `tracing: { enabled: true, endpoint: "${sinkUrl}", ${tracing} }\n`;
  return `version: 1\nauth: none\nservers:\n  - { name: weather, url: "${weatherUrl}" }\nsessions: { secret: "${SECRET}" }\n${section}`;
}

/**
 * Tracing off vs on, each router in its own process (same config but the `tracing` section), driven over gRPC with
 * the same tools/call stream in interleaved rounds; prints each side and the ratios to tracing off.
 */
export async function benchRouterTracing(
  weatherUrl: string,
  script: (sessionId: string) => ScriptedRequest,
  load: { streams: number; warmup: number; rounds: number; concurrency: number },
  line: (name: string, r: RunResult) => string,
): Promise<boolean> {
  const dir = await mkdtemp(join(tmpdir(), "router-tracing-bench-"));
  const sink = await startOtlpSink();
  const processes: RunningProcess[] = [];
  try {
    const request = script(new GatewaySessionCodec(SECRET, 3_600_000).issue());
    const sides: { name: string; address: string; runs: RunResult[] }[] = [];
    for (const [i, side] of SIDES.entries()) {
      const path = join(dir, `gateway-${i}.yaml`);
      await writeFile(path, yaml(weatherUrl, sink.url, side.tracing));
      const child = startNode("test/dist/bench/router-process.js", [path]);
      processes.push(child);
      const match = await child.waitFor(/router listening on (\S+)/, 30_000);
      sides.push({ name: side.name, address: match[1] ?? "", runs: [] });
    }
    for (const side of sides) await drive(side.address, request, load.warmup, load.concurrency);
    for (let round = 0; round < load.rounds; round++) {
      for (let i = 0; i < sides.length; i++) {
        const side = sides[(i + round) % sides.length] as (typeof sides)[number];
        side.runs.push(await drive(side.address, request, Math.ceil(load.streams / load.rounds), load.concurrency));
      }
    }
    const [off, on, none] = sides.map((side) => mergeRuns(side.runs)) as [RunResult, RunResult, RunResult];
    console.log(`tracing: one router process per side, exporting to a no-op OTLP/HTTP sink on loopback`);
    for (const [i, side] of sides.entries()) console.log(line(side.name, [off, on, none][i] as RunResult));
    const ratio = (name: string, a: RunResult): string =>
      `ratio ${name}/tracing off: throughput ${(a.perSecond / off.perSecond).toFixed(2)}x   p50 ${(a.p50Ms / off.p50Ms).toFixed(2)}x   p99 ${(a.p99Ms / off.p99Ms).toFixed(2)}x`;
    console.log(ratio("tracing on", on));
    console.log(ratio("tracing 0% sampled", none));
    console.log(`OTLP sink received ${sink.exports()} exports, ${(sink.bytes() / 1024).toFixed(0)} KiB`);
    return [off, on, none].every((r) => r.failures === 0);
  } finally {
    for (const child of processes) await child.stop();
    await sink.close();
    await rm(dir, { recursive: true, force: true });
  }
}
