import { SESSION_HEADER } from "../routing/headers";

type Fetch = (url: string | URL, init?: RequestInit) => Promise<Response>;

/** How long an initialize the caller gave up on is still awaited, so the session it opened can be ended. */
export const LATE_INITIALIZE_GRACE_MS = 30_000;

/** Whether `init` is a session-opening initialize POST (a single JSON-RPC request without a session id). */
function isInitialize(init: RequestInit | undefined): boolean {
  if (init?.method !== "POST" || typeof init.body !== "string") return false;
  if (new Headers(init.headers).has(SESSION_HEADER)) return false;
  try {
    const message: unknown = JSON.parse(init.body);
    return typeof message === "object" && message !== null && (message as { method?: unknown }).method === "initialize";
  } catch {
    return false;
  }
}

/** Ends the session a late initialize answer names (DELETE, bounded by `timeoutMs`); best effort. */
async function endLateSession(
  fetchImpl: Fetch,
  url: string | URL,
  init: RequestInit,
  response: Response,
  timeoutMs: number,
): Promise<void> {
  const id = response.headers.get(SESSION_HEADER);
  await response.body?.cancel().catch(() => undefined);
  if (id === null) return;
  const headers = new Headers(init.headers);
  headers.set(SESSION_HEADER, id);
  headers.delete("content-type");
  const ended = await fetchImpl(url, { method: "DELETE", headers, signal: AbortSignal.timeout(timeoutMs) }).catch(
    () => undefined,
  );
  await ended?.body?.cancel().catch(() => undefined);
}

/**
 * A fetch for the SDK's transport under which an initialize the SDK gave up on (its timeout fired, or the gateway
 * closed the client) is not abandoned: the upstream may already have opened the session, and only the answer's
 * `mcp-session-id` names it. The request goes on in the background for up to {@link LATE_INITIALIZE_GRACE_MS}, and a
 * session its answer names is ended with DELETE (bounded by `deleteTimeoutMs`). Other requests pass through as sent;
 * once the answer has reached the SDK, the SDK's abort applies to its body again.
 */
export function endingLateSessions(fetchImpl: Fetch, deleteTimeoutMs: number): Fetch {
  return (url, init) => {
    const signal = init?.signal ?? undefined;
    if (!signal || !isInitialize(init)) return fetchImpl(url, init);
    const detached = new AbortController();
    const grace = setTimeout(
      () => detached.abort(new Error("late initialize answer not received in time")),
      LATE_INITIALIZE_GRACE_MS,
    );
    grace.unref();
    const responding = fetchImpl(url, { ...init, signal: detached.signal });
    return new Promise<Response>((resolve, reject) => {
      const giveUp = (): void => {
        reject(signal.reason);
        void responding
          .then(
            (response) => endLateSession(fetchImpl, url, init ?? {}, response, deleteTimeoutMs),
            () => undefined,
          )
          .finally(() => clearTimeout(grace));
      };
      if (signal.aborted) return giveUp();
      signal.addEventListener("abort", giveUp, { once: true });
      responding.then(
        (response) => {
          if (signal.aborted) return; // given up already: giveUp ends the session this answer names
          clearTimeout(grace);
          signal.removeEventListener("abort", giveUp);
          // Answered in time: the SDK owns the session now, and its abort ends the body's read as usual.
          signal.addEventListener("abort", () => detached.abort(signal.reason), { once: true });
          resolve(response);
        },
        (error: unknown) => {
          if (signal.aborted) return;
          clearTimeout(grace);
          signal.removeEventListener("abort", giveUp);
          reject(error);
        },
      );
    });
  };
}
