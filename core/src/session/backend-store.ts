/** The upstream session the gateway holds for one (gateway session, server) pair. */
export interface BackendSession {
  /** The upstream's `mcp-session-id`; never shown to the client. */
  sessionId: string;
  /** The protocol version the upstream agreed to at initialize. */
  protocolVersion: string;
}

/**
 * Where backend sessions live: in memory for one process, Redis when router and broker replicas share them. Also
 * records ended (revoked) gateway sessions, since ids are self-verifying and would otherwise stay valid until expiry.
 */
export interface BackendSessionStore {
  get(gatewaySession: string, server: string): Promise<BackendSession | undefined>;
  /** `get` and `isRevoked` in one round trip: the routed-call hot path. */
  lookup(gatewaySession: string, server: string): Promise<{ revoked: boolean; session: BackendSession | undefined }>;
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
  close(): Promise<void>;
}
