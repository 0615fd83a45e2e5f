import pino from "pino";
import type { AccessLogConfig } from "./config/access-log-schema";
import type { LogSink } from "./logging";

/**
 * The fields of one access-log line, in order. Names and meanings match Envoy's access log (router/src/envoy-config/
 * access-log.ts), so one query reads both; docs/observability.md ("Access log") describes each.
 */
export const ACCESS_LOG_FIELDS = [
  "start_time",
  "method",
  "path",
  "client_address",
  "response_code",
  "duration_ms",
  "bytes_received",
  "bytes_sent",
  "request_id",
  "trace_id",
  "jsonrpc_id",
  "mcp_method",
  "mcp_server",
  "mcp_target",
  "mcp_consumer",
  "mcp_session",
  "mcp_decision",
  "mcp_reason",
  "mcp_protocol_version",
] as const;

/** One access-log field's name. */
export type AccessLogField = (typeof ACCESS_LOG_FIELDS)[number];

/** One access-log line: every field present, null where it does not apply (as Envoy writes them). */
export type AccessLogRecord = Record<AccessLogField, string | number | null>;

/** Writes access-log lines asynchronously (never on the request's critical path) to the configured destination. */
export interface AccessLogWriter {
  write(record: AccessLogRecord): void;
  /** Flushes what is buffered and closes a file destination. */
  close(): Promise<void>;
}

type Destination = LogSink & { flush?(cb: (error?: Error) => void): void; end?(): void };

function destinationOf(config: AccessLogConfig): Destination {
  // pino's destination (sonic-boom): asynchronous writes, buffered while the disk or the pipe is slow.
  if (config.destination === "stdout") return pino.destination({ dest: 1, sync: false });
  if (config.destination === "stderr") return pino.destination({ dest: 2, sync: false });
  return pino.destination({ dest: config.destination, sync: false, append: true, mkdir: true });
}

/**
 * An {@link AccessLogWriter} for `accessLog` (or `sink`, for tests): one JSON object per line, its fields in
 * {@link ACCESS_LOG_FIELDS} order and nothing else. The values are the gateway's own or capped client data, none a
 * secret, so no redaction applies (the session appears only as its keyed hash).
 */
export function createAccessLogWriter(config: AccessLogConfig, sink?: LogSink): AccessLogWriter {
  const destination: Destination = sink ?? destinationOf(config);
  const isFile = !sink && config.destination !== "stdout" && config.destination !== "stderr";
  return {
    write: (record) => void destination.write(`${JSON.stringify(record)}\n`),
    close: () =>
      new Promise<void>((resolve) => {
        if (!destination.flush) return resolve();
        destination.flush(() => {
          if (isFile) destination.end?.();
          resolve();
        });
      }),
  };
}
