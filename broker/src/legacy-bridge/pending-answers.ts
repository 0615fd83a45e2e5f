import { GatewayError, JsonRpcErrorCode } from "@mcp-gateway/core";

/** What a legacy client answered to a relayed request: its result, or its JSON-RPC error. */
export type ClientAnswer = { result: Record<string, unknown> } | { error: { code: number; message: string } };

interface Waiter {
  resolve(answer: ClientAnswer): void;
  timer: NodeJS.Timeout;
}

/**
 * Relayed server-to-client requests waiting for the legacy client's answer, keyed by the client's gateway session and
 * the id the gateway gave the request: only the session the request went to can answer it. In-process: the answer
 * must reach the broker replica that holds the call (documented limit of the bridge).
 */
export class PendingAnswers {
  private readonly waiting = new Map<string, Waiter>();

  /** Registers a request and resolves with the answer; a request left unanswered for `timeoutMs` is refused. */
  wait(session: string, id: string, timeoutMs: number): Promise<ClientAnswer> {
    const key = `${session}\u0000${id}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(key);
        const message = `the client did not answer the server's request ${id} within ${timeoutMs} ms`;
        reject(new GatewayError(JsonRpcErrorCode.UpstreamTimeout, message, { httpStatus: 504 }));
      }, timeoutMs);
      timer.unref();
      this.waiting.set(key, { resolve, timer });
    });
  }

  /** Delivers an answer; false when no request of that session waits under that id. */
  answer(session: string, id: string, answer: ClientAnswer): boolean {
    const key = `${session}\u0000${id}`;
    const waiter = this.waiting.get(key);
    if (!waiter) return false;
    this.waiting.delete(key);
    clearTimeout(waiter.timer);
    waiter.resolve(answer);
    return true;
  }

  /** Forgets a request (its call ended first). */
  forget(session: string, id: string): void {
    const key = `${session}\u0000${id}`;
    const waiter = this.waiting.get(key);
    if (waiter) clearTimeout(waiter.timer);
    this.waiting.delete(key);
  }
}
