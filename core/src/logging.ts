import pino, { type DestinationStream, type Logger as PinoLogger } from "pino";
import { logValue, REDACTED, redactPaths } from "./log-redaction";

/** Severity of a log line. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/**
 * Structured fields of a log line. Secret-named keys (see log-redaction.ts) are censored and error messages scrubbed,
 * but still never put secrets (tokens, upstream headers, session ids) here on purpose.
 */
export type LogFields = Record<string, unknown>;

/** A structured logger: one JSON object per line. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
  /** True when lines at `level` are written: guard fields that cost something to build. */
  enabled(level: LogLevel): boolean;
}

/** Where log lines go; `write` must not block the caller (stdout to a pipe is asynchronous in Node). */
export interface LogSink {
  write(line: string): unknown;
}

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Lines below this level are dropped before any field is touched (default info). */
  level?: LogLevel;
  /** Default: stderr, written asynchronously (pino's sonic-boom). */
  sink?: LogSink;
  fields?: LogFields;
}

const noop = (): void => undefined;

/** Each field as written: errors flattened with their causes, strings scrubbed (see {@link logValue}). */
function written(fields: LogFields): LogFields {
  // fromEntries defines own properties (a "__proto__" key stays data); pino needs a plain object for child bindings.
  return Object.fromEntries(Object.keys(fields).map((key) => [key, logValue(fields[key])]));
}

function wrap(log: PinoLogger<never>): Logger {
  // A level below the threshold is a no-op function: a disabled debug call costs one call, nothing is built.
  const method = (level: LogLevel) => {
    if (!log.isLevelEnabled(level)) return noop;
    return (message: string, fields?: LogFields): void => {
      if (fields) log[level](written(fields), message);
      else log[level](message);
    };
  };
  return {
    debug: method("debug"),
    info: method("info"),
    warn: method("warn"),
    error: method("error"),
    child: (fields) => wrap(log.child(written(fields))),
    enabled: (level) => log.isLevelEnabled(level),
  };
}

/**
 * A JSON-lines logger (pino) writing lines at or above `level` to `sink`: `{"level":"info","time":"<ISO>","msg":…,
 * …fields}`. Secret-named fields are censored at any depth up to 4 (pino `redact`), error values become
 * `{ name, message, code?, cause? }` with credentials scrubbed from their text.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const destination: DestinationStream = options.sink
    ? (options.sink as DestinationStream)
    : pino.destination({ dest: 2, sync: false });
  const log = pino<never>(
    {
      level: options.level ?? "info",
      base: null,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: redactPaths(), censor: REDACTED },
    },
    destination,
  );
  return wrap(options.fields ? log.child(written(options.fields)) : log);
}

/** A logger that drops everything (tests, benchmarks). */
export const silentLogger: Logger = createLogger({ level: "error", sink: { write: () => undefined } });
