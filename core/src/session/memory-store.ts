import { LRUCache } from "lru-cache";
import type { BackendSession, BackendSessionStore, DroppedBackendSession, HeldBackendSession } from "./backend-store";

const SEPARATOR = "\u0000";
const key = (gatewaySession: string, server: string): string => `${server}${SEPARATOR}${gatewaySession}`;

function pairOf(k: string): { server: string; gatewaySession: string } {
  const at = k.indexOf(SEPARATOR);
  return { server: k.slice(0, at), gatewaySession: k.slice(at + 1) };
}

/**
 * In-process store: an LRU bounded in entries with a per-entry idle TTL (a routed call's `lookup` restarts it). Only
 * valid for one process. Evicted and expired mappings are reported to the `onDrop` listener.
 */
export class MemoryBackendSessionStore implements BackendSessionStore {
  private readonly sessions: LRUCache<string, BackendSession>;
  private readonly revoked: LRUCache<string, true>;
  private readonly settings: LRUCache<string, string>;
  private dropListener: ((dropped: DroppedBackendSession) => void) | undefined;

  constructor(maxEntries: number) {
    this.sessions = new LRUCache({
      max: maxEntries,
      ttlAutopurge: false,
      // "delete" (deleteIf, close) and "set" are the gateway's own doing; only the store's own drops are reported.
      dispose: (session, k, reason) => {
        if (reason !== "evict" && reason !== "expire") return;
        this.dropListener?.({ ...pairOf(k), session, reason: reason === "evict" ? "evicted" : "idle" });
      },
    });
    this.revoked = new LRUCache({ max: maxEntries, ttlAutopurge: false });
    this.settings = new LRUCache({ max: maxEntries, ttlAutopurge: false });
  }

  get(gatewaySession: string, server: string): Promise<BackendSession | undefined> {
    return Promise.resolve(this.sessions.get(key(gatewaySession, server)));
  }

  lookup(gatewaySession: string, server: string): Promise<{ revoked: boolean; session: BackendSession | undefined }> {
    return Promise.resolve({
      revoked: this.revoked.get(gatewaySession) === true,
      session: this.sessions.get(key(gatewaySession, server), { updateAgeOnGet: true }),
    });
  }

  setIfAbsent(gatewaySession: string, server: string, session: BackendSession, ttlMs: number): Promise<BackendSession> {
    const k = key(gatewaySession, server);
    const existing = this.sessions.get(k);
    if (existing) return Promise.resolve(existing);
    this.sessions.set(k, session, { ttl: ttlMs });
    return Promise.resolve(session);
  }

  deleteIf(gatewaySession: string, server: string, upstreamSessionId: string): Promise<boolean> {
    const k = key(gatewaySession, server);
    if (this.sessions.get(k)?.sessionId !== upstreamSessionId) return Promise.resolve(false);
    return Promise.resolve(this.sessions.delete(k));
  }

  revoke(gatewaySession: string, ttlMs: number): Promise<void> {
    this.revoked.set(gatewaySession, true, { ttl: Math.max(1, ttlMs) });
    return Promise.resolve();
  }

  isRevoked(gatewaySession: string): Promise<boolean> {
    return Promise.resolve(this.revoked.get(gatewaySession) === true);
  }

  setSetting(gatewaySession: string, name: string, value: string, ttlMs: number): Promise<void> {
    this.settings.set(key(gatewaySession, name), value, { ttl: Math.max(1, ttlMs) });
    return Promise.resolve();
  }

  getSetting(gatewaySession: string, name: string): Promise<string | undefined> {
    return Promise.resolve(this.settings.get(key(gatewaySession, name)));
  }

  onDrop(listener: (dropped: DroppedBackendSession) => void): void {
    this.dropListener = listener;
  }

  sweep(): Promise<void> {
    this.sessions.purgeStale();
    return Promise.resolve();
  }

  held(): HeldBackendSession[] {
    return [...this.sessions.entries()].map(([k, session]) => ({ ...pairOf(k), session }));
  }

  close(): Promise<void> {
    this.sessions.clear();
    this.revoked.clear();
    this.settings.clear();
    return Promise.resolve();
  }
}
