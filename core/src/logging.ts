/** Severity of a log line. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Structured fields of a log line; never put secrets (tokens, upstream headers, session ids) here. */
export type LogFields = Record<string, unknown>;

/** A structured logger: one JSON object per line. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Where log lines go; `write` must not block the caller (stdout to a pipe is asynchronous in Node). */
export interface LogSink {
  write(line: string): unknown;
}

function errorField(value: unknown): unknown {
  return value instanceof Error ? { name: value.name, message: value.message } : value;
}

/** A JSON-lines logger writing lines at or above `level` to `sink`. */
export function createLogger(options: { level?: LogLevel; sink?: LogSink; fields?: LogFields } = {}): Logger {
  const threshold = RANK[options.level ?? "info"];
  const sink = options.sink ?? process.stderr;
  const base = options.fields ?? {};
  const log = (level: LogLevel, message: string, fields?: LogFields): void => {
    if (RANK[level] < threshold) return;
    const line: LogFields = { time: new Date().toISOString(), level, msg: message, ...base };
    if (fields) for (const [key, value] of Object.entries(fields)) line[key] = errorField(value);
    sink.write(`${JSON.stringify(line)}\n`);
  };
  return {
    debug: (m, f) => log("debug", m, f),
    info: (m, f) => log("info", m, f),
    warn: (m, f) => log("warn", m, f),
    error: (m, f) => log("error", m, f),
    child: (fields) => createLogger({ level: options.level ?? "info", sink, fields: { ...base, ...fields } }),
  };
}

/** A logger that drops everything (tests, benchmarks). */
export const silentLogger: Logger = createLogger({ level: "error", sink: { write: () => undefined } });
