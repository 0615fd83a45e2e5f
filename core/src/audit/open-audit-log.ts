import { AuditLog, type AuditSink } from "./audit-log";
import { FileAuditSink, StdoutAuditSink, type FileAuditSinkOptions } from "./json-lines-sink";
import { PostgresAuditSink, type PostgresAuditSinkOptions } from "./postgres-sink";

/** Which audit sinks to open and how to batch for them; no sink means no audit log. */
export interface AuditLogConfig {
  stdout?: boolean;
  file?: FileAuditSinkOptions;
  postgres?: PostgresAuditSinkOptions;
  maxQueue?: number;
  batchSize?: number;
  flushIntervalMs?: number;
}

/**
 * Opens the configured sinks (connecting to PostgreSQL and creating its table) and returns an {@link AuditLog} over
 * them and `extra` (in-process sinks such as the live tail), or undefined when there is no sink at all. Rejects, with
 * every sink already opened closed again, when one fails.
 */
export async function openAuditLog(
  config: AuditLogConfig,
  onError?: (error: unknown, sink: string) => void,
  extra: readonly AuditSink[] = [],
): Promise<AuditLog | undefined> {
  const sinks: AuditSink[] = [...extra];
  try {
    if (config.stdout) sinks.push(new StdoutAuditSink());
    if (config.file) sinks.push(new FileAuditSink(config.file));
    if (config.postgres) sinks.push(await PostgresAuditSink.connect(config.postgres));
    if (sinks.length === 0) return undefined;
    const { maxQueue, batchSize, flushIntervalMs } = config;
    return new AuditLog(sinks, { maxQueue, batchSize, flushIntervalMs, onError });
  } catch (error) {
    await Promise.all(sinks.map((sink) => sink.close().catch(() => undefined)));
    throw error;
  }
}
