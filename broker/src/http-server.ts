import { createServer, type RequestListener, type Server } from "node:http";
import type { ServerClasses } from "./post-chain";
import { requireOriginForm } from "./request-target";

/** How long a client may take to send a request. */
export interface RequestTimeouts {
  /** The whole request, headers and body (`limits.requestTimeout`); 0 would disable it, which is never wanted. */
  requestTimeoutMs: number;
}

/** Node checks its request timers this often by default (30 s): too coarse for a timeout of a few seconds. */
const MAX_CHECK_INTERVAL_MS = 1_000;

/**
 * An HTTP server that closes connections whose request has not fully arrived within the timeout (Node answers 408),
 * so a slow or stalled body cannot hold a connection and its memory open. Node's timers cover receiving the request
 * only: a response that takes long (an SSE stream) is not cut. Headers get the same bound, or Node's own 60 s if lower.
 * A request whose target is not origin form gets 400 before `listener` runs (see requestTargetError).
 */
export function createBoundedServer(
  listener: RequestListener,
  timeouts: RequestTimeouts,
  /** The classes requests and responses are made of (Node's own when absent; see expressServerClasses). */
  classes?: ServerClasses,
): Server {
  const requestTimeout = Math.max(1, timeouts.requestTimeoutMs);
  return createServer(
    {
      ...classes,
      requestTimeout,
      headersTimeout: Math.min(requestTimeout, 60_000),
      connectionsCheckingInterval: Math.min(MAX_CHECK_INTERVAL_MS, requestTimeout),
    },
    requireOriginForm(listener),
  );
}
