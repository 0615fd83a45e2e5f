import type { Logger } from "../logging";
import { lacksConsumerAuth } from "../upstream-auth/upstream-credentials";
import type { UpstreamHttp, UpstreamTarget } from "../upstream/upstream-http";

/** Why the gateway stopped using a backend session (a bounded metric label). */
export type SessionEndReason =
  | "evicted" // the memory store's LRU bound (`sessions.maxBackendSessions`)
  | "idle" // no call for `sessions.backendIdleTimeout`
  | "client_delete" // the client ended its gateway session (DELETE /mcp)
  | "server_removed" // a config reload removed the server (or changed its url)
  | "shutdown" // this process is stopping
  | "superseded"; // lost a race with another replica's session for the same pair

/**
 * What became of one ending: DELETE answered (any status: 404/405 also end it), deliberately not sent (a per-consumer
 * server's session ended with no consumer's credential at hand: idle, reload, shutdown; the upstream's own idle
 * timeout ends it, the gateway's discovery token never serves a consumer's session), no answer, or queue full.
 */
export type SessionEndResult = "ended" | "not_sent" | "failed" | "dropped";

/** Options of {@link SessionEnder}. */
export interface SessionEnderOptions {
  http: Pick<UpstreamHttp, "deleteSession">;
  /** Bound on one DELETE. */
  timeoutMs: number;
  logger?: Logger;
  /** DELETEs in flight at once. */
  concurrency?: number;
  /** Endings waiting for a slot; more are dropped (and counted). */
  maxQueue?: number;
  onEnd?: (server: string, reason: SessionEndReason, result: SessionEndResult) => void;
}

interface Ending {
  target: UpstreamTarget;
  sessionId: string;
  reason: SessionEndReason;
  done: () => void;
}

/**
 * Ends upstream sessions with `DELETE` + `mcp-session-id` (the Streamable HTTP way to terminate one), best effort and
 * with bounded concurrency, so ending thousands of sessions at once neither floods an upstream nor grows memory.
 */
export class SessionEnder {
  private readonly queue: Ending[] = [];
  private inFlight = 0;
  private readonly idle = new Set<() => void>();

  constructor(private readonly options: SessionEnderOptions) {}

  /** Queues the DELETE; resolves once it was answered, failed or dropped. Never rejects. */
  end(target: UpstreamTarget, sessionId: string, reason: SessionEndReason): Promise<void> {
    if (sessionId === "") return Promise.resolve();
    if (lacksConsumerAuth(target, target.headers)) {
      this.options.logger?.debug("backend session end not sent: no consumer credential for a per-consumer server", {
        server: target.name,
        reason,
      });
      this.options.onEnd?.(target.name, reason, "not_sent");
      return Promise.resolve();
    }
    if (this.queue.length >= (this.options.maxQueue ?? 1000)) {
      this.options.logger?.debug("backend session end dropped: queue full", { server: target.name, reason });
      this.options.onEnd?.(target.name, reason, "dropped");
      return Promise.resolve();
    }
    return new Promise((done) => {
      this.queue.push({ target, sessionId, reason, done });
      this.next();
    });
  }

  /** Resolves when nothing is queued or in flight (for shutdown). */
  drained(): Promise<void> {
    if (this.inFlight === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.add(resolve));
  }

  private next(): void {
    while (this.inFlight < (this.options.concurrency ?? 4)) {
      const ending = this.queue.shift();
      if (!ending) break;
      this.inFlight += 1;
      void this.send(ending).finally(() => {
        this.inFlight -= 1;
        ending.done();
        this.next();
        if (this.inFlight === 0 && this.queue.length === 0) this.settleIdle();
      });
    }
  }

  private settleIdle(): void {
    for (const resolve of this.idle) resolve();
    this.idle.clear();
  }

  private async send({ target, sessionId, reason }: Ending): Promise<void> {
    const status = await this.options.http.deleteSession(target, sessionId, this.options.timeoutMs);
    if (status === undefined) {
      this.options.logger?.debug("backend session end failed: no answer to DELETE", { server: target.name, reason });
    }
    this.options.onEnd?.(target.name, reason, status === undefined ? "failed" : "ended");
  }
}
