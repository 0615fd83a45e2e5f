import { LOG_LEVEL_SETTING, type BridgeOptions, type GatewayContext } from "@mcp-gateway/core";

/** Log levels from least to most severe (RFC 5424 as MCP orders them). */
const LEVELS = ["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"] as const;
type Level = (typeof LEVELS)[number];

const isLevel = (value: unknown): value is Level => typeof value === "string" && LEVELS.includes(value as Level);

/** The legacy client's `_meta.progressToken` (a string or an integer), if it asked for progress. */
function progressTokenOf(params: Record<string, unknown>): string | number | undefined {
  const meta = params["_meta"];
  if (meta === null || typeof meta !== "object" || Array.isArray(meta)) return undefined;
  const token = (meta as Record<string, unknown>)["progressToken"];
  if (typeof token === "string" || (typeof token === "number" && Number.isInteger(token))) return token;
  return undefined;
}

/**
 * What a legacy client's call to a 2026 upstream asks for besides its result, as options of `callModernUpstream`:
 * progress when the client sent a `_meta.progressToken` (each update written with the client's own token), and log
 * messages at the level the client set with `logging/setLevel` on its gateway session (sent to the upstream as the
 * request's `_meta` log level; a message below it is dropped even if the upstream sends it). Without a level the
 * gateway sends none, so a 2026 upstream sends no log messages: 2025-11-25 leaves it to the server which messages it
 * sends before the client sets a level. `write` puts a notification on the call's SSE stream.
 */
export async function callNotifications(
  context: GatewayContext,
  session: string,
  params: Record<string, unknown>,
  write: (message: Record<string, unknown>) => void,
): Promise<Pick<BridgeOptions, "onProgress" | "logLevel" | "onLog">> {
  const token = progressTokenOf(params);
  const stored = await context.store.getSetting(session, LOG_LEVEL_SETTING);
  const level = isLevel(stored) ? stored : undefined;
  const threshold = level === undefined ? 0 : LEVELS.indexOf(level);
  return {
    ...(token !== undefined && {
      onProgress: ({ progress, total, message }) =>
        write({
          jsonrpc: "2.0",
          method: "notifications/progress",
          params: {
            progressToken: token,
            progress,
            ...(total !== undefined && { total }),
            ...(message && { message }),
          },
        }),
    }),
    ...(level !== undefined && { logLevel: level }),
    onLog: (logged) => {
      if (!isLevel(logged.level) || LEVELS.indexOf(logged.level) < threshold) return;
      // The 2025 message's own fields only (a 2026 notification's _meta means nothing to a legacy client).
      const { level: logLevel, logger, data } = logged;
      const out = { level: logLevel, ...(logger !== undefined && { logger }), data };
      write({ jsonrpc: "2.0", method: "notifications/message", params: out });
    },
  };
}
