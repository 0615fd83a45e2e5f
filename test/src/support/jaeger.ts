import { spawn } from "node:child_process";
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pollUntil } from "./bounded-wait";
import { freePort } from "./redis-server";

/** The repository root (test/{src,dist}/support → ../../..). */
const REPO_ROOT = resolve(__dirname, "..", "..", "..");

/** The Jaeger release the tests use: package.json `config.jaegerVersion`, its only home. */
export function pinnedJaegerVersion(): string {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as {
    config?: { jaegerVersion?: unknown };
  };
  const version = pkg.config?.jaegerVersion;
  if (typeof version !== "string") throw new Error("package.json config.jaegerVersion is missing");
  return version;
}

/** Where `npm run jaeger:install` caches the binary (kept in step with scripts/install-jaeger.mjs). */
export function cachedJaegerPath(env: NodeJS.ProcessEnv = process.env, version = pinnedJaegerVersion()): string {
  const cache = env["MCP_GATEWAY_CACHE"] || join(env["XDG_CACHE_HOME"] || join(homedir(), ".cache"), "mcp-gateway");
  return join(cache, "jaeger", version, "jaeger");
}

/** The Jaeger binary: `JAEGER_BIN`, else the cache; throws (never skips) when neither is executable. */
export function jaegerBinary(env: NodeJS.ProcessEnv = process.env): string {
  const path = env["JAEGER_BIN"] || cachedJaegerPath(env);
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new Error(
      `no Jaeger binary at ${path}: run \`npm run jaeger:install\` (builds it with Go), or set JAEGER_BIN`,
    );
  }
  return path;
}

/** One span as Jaeger's query API (v1 JSON) returns it. */
export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: { refType: string; traceID: string; spanID: string }[];
  tags: { key: string; type: string; value: unknown }[];
  processID: string;
  startTime: number;
  duration: number;
}

/** One trace as Jaeger's query API returns it. */
export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string }>;
}

/** A Jaeger all-in-one on loopback: OTLP receivers and the query API on free ports, in-memory storage. */
export interface JaegerServer {
  /** OTLP/HTTP base URL (append `/v1/traces`). */
  otlpHttpUrl: string;
  /** OTLP/gRPC `host:port`. */
  otlpGrpcAddress: string;
  queryUrl: string;
  /** Traces of `service` (newest first), at most `limit`. */
  traces(service: string, limit?: number): Promise<JaegerTrace[]>;
  /** Polls until a trace of `service` satisfies `match`, for at most `ms`; throws naming what it saw otherwise. */
  waitForTrace(service: string, match: (trace: JaegerTrace) => boolean, ms?: number): Promise<JaegerTrace>;
  stop(): Promise<void>;
}

function configYaml(ports: { otlpGrpc: number; otlpHttp: number; queryGrpc: number; queryHttp: number }): string {
  return `service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
extensions:
  jaeger_query:
    storage:
      traces: memstore
    grpc:
      endpoint: 127.0.0.1:${ports.queryGrpc}
    http:
      endpoint: 127.0.0.1:${ports.queryHttp}
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 10000
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:${ports.otlpGrpc}
      http:
        endpoint: 127.0.0.1:${ports.otlpHttp}
processors:
  batch:
    timeout: 50ms
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
`;
}

async function queryTraces(queryUrl: string, service: string, limit: number): Promise<JaegerTrace[]> {
  const url = `${queryUrl}/api/traces?service=${encodeURIComponent(service)}&limit=${limit}&lookback=1h`;
  const response = await fetch(url);
  if (!response.ok) throw new Error(`Jaeger query ${url}: HTTP ${response.status}`);
  const body = (await response.json()) as { data: JaegerTrace[] | null };
  return body.data ?? [];
}

/** Starts Jaeger (see `jaegerBinary`) on free loopback ports and waits until its query API answers. */
export async function startJaeger(): Promise<JaegerServer> {
  const binary = jaegerBinary();
  const ports = {
    otlpGrpc: await freePort(),
    otlpHttp: await freePort(),
    queryGrpc: await freePort(),
    queryHttp: await freePort(),
  };
  const dir = mkdtempSync(join(tmpdir(), "jaeger-"));
  const configPath = join(dir, "config.yaml");
  writeFileSync(configPath, configYaml(ports));
  const child = spawn(binary, ["--config", configPath], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const queryUrl = `http://127.0.0.1:${ports.queryHttp}`;
  const ready = await pollUntil(async () => {
    if (child.exitCode !== null) return true;
    return fetch(`${queryUrl}/api/services`).then(
      (r) => r.ok,
      () => false,
    );
  }, 30_000);
  const stop = (): Promise<void> =>
    new Promise<void>((done) => {
      if (child.exitCode !== null || child.signalCode !== null) return done();
      child.once("exit", () => done());
      child.kill("SIGTERM");
    }).finally(() => rmSync(dir, { recursive: true, force: true }));
  if (!ready || child.exitCode !== null) {
    await stop();
    throw new Error(`Jaeger did not start (exit ${String(child.exitCode)}): ${stderr}`);
  }
  return {
    otlpHttpUrl: `http://127.0.0.1:${ports.otlpHttp}`,
    otlpGrpcAddress: `127.0.0.1:${ports.otlpGrpc}`,
    queryUrl,
    traces: (service, limit = 20) => queryTraces(queryUrl, service, limit),
    async waitForTrace(service, match, ms = 15_000) {
      let seen: JaegerTrace[] = [];
      let found: JaegerTrace | undefined;
      await pollUntil(
        async () => {
          seen = await queryTraces(queryUrl, service, 50);
          found = seen.find(match);
          return found !== undefined;
        },
        ms,
        200,
      );
      if (found) return found;
      const summary = seen.map((t) => t.spans.map((s) => s.operationName).join(","));
      throw new Error(`no matching trace of ${service} within ${ms} ms; saw ${JSON.stringify(summary)}`);
    },
    stop,
  };
}

/** A span's tag value by key, or undefined. */
export function tagOf(span: JaegerSpan, key: string): unknown {
  return span.tags.find((t) => t.key === key)?.value;
}
