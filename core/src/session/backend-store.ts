/** The upstream session the gateway holds for one (gateway session, server) pair. */
export interface BackendSession {
  /** The upstream's `mcp-session-id`; never shown to the client. */
  sessionId: string;
  /** The protocol version the upstream agreed to at initialize. */
  protocolVersion: string;
}

/** A mapping the store dropped by itself, not through `deleteIf`: the gateway ends its upstream session. */
export interface DroppedBackendSession {
  gatewaySession: string;
  server: string;
  session: BackendSession;
  /** `evicted`: the memory store's LRU bound; `idle`: its TTL ran out (no call refreshed it). */
  reason: "evicted" | "idle";
}

/** A mapping this process answers for (see {@link BackendSessionStore.held}). */
export interface HeldBackendSession {
  gatewaySession: string;
  server: string;
  session: BackendSession;
}

/**
 * Where backend sessions live: in memory for one process, Redis when router and broker replicas share them. Also
 * records ended (revoked) gateway sessions, since ids are self-verifying and would otherwise stay valid until expiry.
 */
export interface BackendSessionStore {
  get(gatewaySession: string, server: string): Promise<BackendSession | undefined>;
  /**
   * `get` and `isRevoked` in one round trip: the routed-call hot path. A mapping found is used, so its idle TTL starts
   * again (`refreshTtlMs`: Redis sets it anew; the memory store restarts the TTL the mapping was stored with).
   */
  lookup(
    gatewaySession: string,
    server: string,
    refreshTtlMs?: number,
  ): Promise<{ revoked: boolean; session: BackendSession | undefined }>;
  /** Stores the mapping unless one exists; returns the mapping now in force (ours or the earlier one). */
  setIfAbsent(gatewaySession: string, server: string, session: BackendSession, ttlMs: number): Promise<BackendSession>;
  /** Deletes the mapping only if it still points at `upstreamSessionId` (a newer mapping is kept). */
  deleteIf(gatewaySession: string, server: string, upstreamSessionId: string): Promise<boolean>;
  /** Marks a gateway session as ended for `ttlMs` (until its id would have expired anyway). */
  revoke(gatewaySession: string, ttlMs: number): Promise<void>;
  isRevoked(gatewaySession: string): Promise<boolean>;
  /** A client setting that new backend sessions must inherit (e.g. its logging level), kept for `ttlMs`. */
  setSetting(gatewaySession: string, name: string, value: string, ttlMs: number): Promise<void>;
  getSetting(gatewaySession: string, name: string): Promise<string | undefined>;
  /** Tells `listener` about every mapping the store drops by itself (LRU eviction at once, expiry at `sweep`). */
  onDrop(listener: (dropped: DroppedBackendSession) => void): void;
  /** Finds the mappings that expired since the last sweep and reports them to the `onDrop` listener. */
  sweep(): Promise<void>;
  /**
   * The mappings this process answers for, to end at shutdown or when their server is removed: every one in the
   * memory store; in Redis, those this replica stored (Redis expiry is silent, so each replica watches its own).
   */
  held(): HeldBackendSession[];
  close(): Promise<void>;
}
