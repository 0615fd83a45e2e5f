import type { LoggingLevel } from "@modelcontextprotocol/sdk/types.js";

/** Per-session state of the fixture: the client's log level and its resource subscriptions. */
export interface FixtureSession {
  /** Minimum level set by `logging/setLevel`; undefined (no call yet) lets every message through. */
  logLevel: LoggingLevel | undefined;
  /** URIs subscribed with `resources/subscribe` and not yet unsubscribed. */
  readonly subscriptions: Set<string>;
}

// RFC 5424 severities in the order the MCP spec lists them, least severe first.
const SEVERITY: readonly LoggingLevel[] = [
  "debug",
  "info",
  "notice",
  "warning",
  "error",
  "critical",
  "alert",
  "emergency",
];

/** A fresh session: no log level set, no subscriptions. */
export function createFixtureSession(): FixtureSession {
  return { logLevel: undefined, subscriptions: new Set() };
}

/** Whether a message at `level` passes the session's `logging/setLevel` threshold. */
export function shouldLog(session: FixtureSession, level: LoggingLevel): boolean {
  return session.logLevel === undefined || SEVERITY.indexOf(level) >= SEVERITY.indexOf(session.logLevel);
}
