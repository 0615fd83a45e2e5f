import type { ServerConfig } from "../config/schema";
import { GatewayError, JsonRpcErrorCode } from "../errors";

/**
 * The per-session processes of a consumer that may run at once: `stdio.maxInstancesPerConsumer`, by default a quarter
 * of `stdio.maxInstances` (at least 1); never more than `maxInstances`. Undefined: no such limit (not `perSession`).
 */
export function maxInstancesPerConsumer(server: ServerConfig): number | undefined {
  const mode = server.stdio;
  if (server.command === undefined || mode?.instances !== "perSession") return undefined;
  const limit = mode.maxInstancesPerConsumer ?? Math.max(1, Math.floor(mode.maxInstances / 4));
  return Math.min(limit, mode.maxInstances);
}

/**
 * Which gateway sessions of each consumer hold a process of each perSession stdio server (one per backend session),
 * so that one consumer cannot take every process of a server (`stdio.maxInstancesPerConsumer`). A session counts from
 * its first call to the server until it ends here or goes unused for the backend session's idle lifetime (when the
 * bridge ends its process too). Counted per gateway process, like the other concurrency caps.
 */
export class ConsumerInstances {
  /** `server\0consumer` → gateway session → when it last called the server. */
  private readonly held = new Map<string, Map<string, number>>();

  /**
   * Counts the call's session for its consumer (true when it was not counted yet), or throws (429) when the consumer
   * holds the limit already.
   */
  admit(server: ServerConfig, consumer: string, gatewaySession: string, idleMs: number, now = Date.now()): boolean {
    const limit = maxInstancesPerConsumer(server);
    // Anonymous callers (`auth: none`) are no one consumer: only the server's own cap (stdio.maxInstances) applies.
    if (limit === undefined || consumer === "") return false;
    const key = `${server.name}\u0000${consumer}`;
    const sessions = this.held.get(key) ?? new Map<string, number>();
    for (const [session, lastUsed] of sessions) if (now - lastUsed >= idleMs) sessions.delete(session);
    if (!sessions.has(gatewaySession) && sessions.size >= limit) {
      const oldest = Math.min(...sessions.values());
      const retryAfter = Math.max(1, Math.ceil((oldest + idleMs - now) / 1000));
      throw new GatewayError(
        JsonRpcErrorCode.RateLimited,
        `stdio server "${server.name}": consumer "${consumer}" already holds ${String(limit)} per-session processes (stdio.maxInstancesPerConsumer); end a session (DELETE) or wait for one to idle out`,
        { httpStatus: 429, headers: { "retry-after": String(retryAfter) } },
      );
    }
    const added = !sessions.has(gatewaySession);
    sessions.set(gatewaySession, now);
    this.held.set(key, sessions);
    return added;
  }

  /** A gateway session ended (or, with `server` and `consumer`, got no process there): it no longer counts. */
  release(gatewaySession: string, server?: string, consumer?: string): void {
    for (const [key, sessions] of this.held) {
      if (server !== undefined && key !== `${server}\u0000${consumer ?? ""}`) continue;
      sessions.delete(gatewaySession);
      if (sessions.size === 0) this.held.delete(key);
    }
  }
}
