import type { ServerConfig } from "../config/schema";
import type { UpstreamCredentials } from "../upstream-auth/upstream-credentials";

/** Which MCP generation an upstream speaks: the stateful 2025 family (initialize, sessions) or 2026-07-28. */
export type UpstreamGeneration = "2025" | "2026";

/** The list methods the gateway reads from every upstream. */
export type ListMethod = "tools/list" | "prompts/list" | "resources/list" | "resources/templates/list";

/** The cache hints (2026-07-28 server/utilities/caching.mdx) an upstream gave with one list; empty from 2025 ones. */
export interface ListHint {
  ttlMs?: number;
  cacheScope?: "public" | "private";
}

/** What the gateway needs of its own client session with one upstream, whatever the generation. */
export interface UpstreamSession {
  readonly generation: UpstreamGeneration;
  /** The negotiated (2025) or pinned (2026) protocol version. */
  readonly protocolVersion: string | undefined;
  /** Which lists the upstream serves (it declared the capability). */
  offers(kind: "tools" | "prompts" | "resources"): boolean;
  /** Whether the upstream offers per-resource update subscriptions (`resources.subscribe` in its capabilities). */
  offersResourceSubscriptions(): boolean;
  /** One raw page of a list (the gateway validates each item itself). */
  page(method: ListMethod, cursor: string | undefined, timeoutMs: number): Promise<Record<string, unknown>>;
  /** Calls `onChange` when the upstream says a list changed (list_changed, or a listen stream). */
  watch(onChange: () => void): Promise<void>;
  /** Proves the upstream alive (ping; server/discover for 2026 upstreams, which have no ping). */
  check(timeoutMs: number): Promise<void>;
  /** Ends the session (DELETE for 2025 upstreams, bounded by `timeoutMs`) and closes the client. */
  close(timeoutMs: number): Promise<void>;
}

/** How to open a session: the server's entry, the gateway's client identity and the bound on each exchange. */
export interface SessionTarget {
  server: ServerConfig;
  clientInfo: { name: string; version: string };
  timeoutMs: number;
  /** Upstream credentials (`servers[].auth`): the gateway's own token goes on every request of the session. */
  credentials?: UpstreamCredentials | undefined;
}
