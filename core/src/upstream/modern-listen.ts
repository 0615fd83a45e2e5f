import {
  Client,
  ProtocolError,
  StreamableHTTPClientTransport,
  type DiscoverResult,
} from "@modelcontextprotocol/client";
import type { ServerConfig } from "../config/schema";
import { GatewayError, JsonRpcErrorCode, type JsonRpcErrorCodeValue } from "../errors";
import { MODERN_PROTOCOL_VERSION } from "./modern-session";
import { authedFetchOption } from "../upstream-auth/authed-fetch";
import type { UpstreamCredentials } from "../upstream-auth/upstream-credentials";

/** How a resource-update stream ended: closed by us, ended by the upstream, or dropped. */
export type ResourceStreamEnd = "local" | "graceful" | "remote";

/** An open `subscriptions/listen` stream of a 2026 upstream carrying per-resource updates. */
export interface ResourceUpdateStream {
  /** Resolves once, with how the stream ended; never rejects. */
  readonly closed: Promise<ResourceStreamEnd>;
  /** Ends the stream (idempotent). */
  close(): Promise<void>;
}

/** Settings of {@link listenResourceUpdates}. */
export interface ResourceListenOptions {
  clientInfo: { name: string; version: string };
  /** Upstream credentials: the server's gateway token (`servers[].auth`) on every request of the exchange. */
  credentials?: UpstreamCredentials | undefined;
  /** The upstream's cached server/discover advertisement: connects without a probe when present. */
  discover?: DiscoverResult | undefined;
  /** Bound on connecting and on the upstream's acknowledgement of the stream. */
  timeoutMs: number;
}

function listenFailure(server: ServerConfig, error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  if (error instanceof ProtocolError)
    return new GatewayError(error.code as JsonRpcErrorCodeValue, error.message, { data: error.data });
  return new GatewayError(
    JsonRpcErrorCode.UpstreamUnavailable,
    `server "${server.name}" did not open a resource subscription stream`,
    { httpStatus: 502, cause: error },
  );
}

/**
 * Opens a `subscriptions/listen` stream on a 2026 upstream for updates to `uris` (the upstream's own URIs): what a
 * legacy client's `resources/subscribe` becomes (2026-07-28 has no `resources/subscribe`). Resolves once the upstream
 * acknowledged the stream; `onUpdated` then receives the URI of each `notifications/resources/updated` that names one
 * of `uris` (anything else the upstream sends is dropped). An upstream that does not honor every URI (it offers no
 * resource subscriptions) is refused with -32601, as a 2025 server without `resources.subscribe` answers.
 */
export async function listenResourceUpdates(
  server: ServerConfig,
  uris: readonly string[],
  onUpdated: (uri: string) => void,
  options: ResourceListenOptions,
): Promise<ResourceUpdateStream> {
  const client = new Client(options.clientInfo, {
    versionNegotiation: { mode: { pin: MODERN_PROTOCOL_VERSION }, probe: { timeoutMs: options.timeoutMs } },
  });
  client.onerror = () => undefined;
  const wanted = new Set(uris);
  client.setNotificationHandler("notifications/resources/updated", (notification) => {
    const uri = notification.params.uri;
    if (wanted.has(uri)) onUpdated(uri);
  });
  const transport = new StreamableHTTPClientTransport(new URL(server.url), {
    requestInit: { headers: { ...server.headers } },
    ...authedFetchOption(options.credentials, server),
  });
  try {
    const prior = options.discover ? { prior: { kind: "modern" as const, discover: options.discover } } : {};
    await client.connect(transport, { timeout: options.timeoutMs, ...prior });
    const subscription = await client.listen({ resourceSubscriptions: [...wanted] }, { timeout: options.timeoutMs });
    const honored = new Set(subscription.honoredFilter.resourceSubscriptions ?? []);
    if (![...wanted].every((uri) => honored.has(uri))) {
      await subscription.close().catch(() => undefined);
      throw new GatewayError(
        JsonRpcErrorCode.MethodNotFound,
        `server "${server.name}" does not offer resource subscriptions`,
      );
    }
    const closed = subscription.closed.then(async (reason) => {
      await client.close().catch(() => undefined);
      return reason;
    });
    return { closed, close: () => subscription.close() };
  } catch (error: unknown) {
    await client.close().catch(() => undefined);
    throw listenFailure(server, error);
  }
}
