import type { LiveSessions } from "@mcp-gateway/example-kit";
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { ListGenerations } from "./fixture-list-generations";

/** What every session of one SDK v1 fixture shares: the open sessions and the list generations. */
export interface FixtureShared {
  /** The fixture's sessions (SDK v1 stateful transport: one Server per session). */
  readonly sessions: LiveSessions;
  /** The generations the trigger tools bump. */
  readonly lists: ListGenerations;
}

/**
 * Sends a notification on every open session's standalone GET stream (a session without one drops it, as the SDK
 * does); a session closing meanwhile, or one whose initialize is still in flight, is skipped. Resolves with how many
 * sessions took it.
 */
export async function notifyEverySession(
  shared: FixtureShared,
  send: (server: Server) => Promise<void>,
): Promise<number> {
  const outcomes = await Promise.allSettled([...shared.sessions.servers()].map((mcp) => send(mcp.server)));
  return outcomes.filter((outcome) => outcome.status === "fulfilled").length;
}
