import {
  Client,
  LOG_LEVEL_META_KEY,
  ProtocolError,
  StreamableHTTPClientTransport,
  type DiscoverResult,
  type LoggingLevel,
  type LoggingMessageNotificationParams,
  type Progress,
} from "@modelcontextprotocol/client";
import type { ServerConfig } from "../config/schema";
import { GatewayError, JsonRpcErrorCode, type JsonRpcErrorCodeValue } from "../errors";
import { MODERN_PROTOCOL_VERSION } from "./modern-session";
import { authedFetchOption } from "../upstream-auth/authed-fetch";
import type { UpstreamCredentials } from "../upstream-auth/upstream-credentials";

/** The server-to-client requests a 2026 upstream may embed in an `input_required` result. */
export type InputRequestMethod = "elicitation/create" | "sampling/createMessage" | "roots/list";

/** Asks the legacy client one server-to-client request (on its stream) and resolves with its result. */
export type AskClient = (
  method: InputRequestMethod,
  params: Record<string, unknown>,
) => Promise<Record<string, unknown>>;

/**
 * The client capabilities the gateway declares in `_meta` for a legacy client's call to a 2026 upstream: what the
 * bridge can relay (form elicitation, sampling, roots). A legacy client's own capabilities are not kept past its
 * initialize (the gateway session is a signed token, not a record), so this is the documented default: an upstream
 * request the client cannot serve comes back to the upstream as that client's JSON-RPC error.
 */
export const BRIDGED_CLIENT_CAPABILITIES = Object.freeze({ elicitation: { form: {} }, sampling: {}, roots: {} });

/** One legacy call to forward: its method and params (already carrying the upstream's own name or URI). */
export interface BridgedCall {
  method: "tools/call" | "prompts/get" | "resources/read" | "completion/complete";
  params: Record<string, unknown>;
}

/** Settings of {@link callModernUpstream}. */
export interface BridgeOptions {
  clientInfo: { name: string; version: string };
  /** Upstream credentials: the server's gateway token (`servers[].auth`) on every request of the exchange. */
  credentials?: UpstreamCredentials | undefined;
  /** The upstream's cached server/discover advertisement: connects without a probe when present. */
  discover?: DiscoverResult | undefined;
  /** Bound on each upstream exchange; progress from the upstream resets it. */
  timeoutMs: number;
  signal?: AbortSignal;
  /**
   * Set when the legacy client asked for progress (its `_meta.progressToken`): the upstream gets a token of the SDK's
   * own and each `notifications/progress` for it comes here (the caller puts the client's token back).
   */
  onProgress?: ((progress: Progress) => void) | undefined;
  /**
   * The legacy client's `logging/setLevel` level, sent as `_meta["io.modelcontextprotocol/logLevel"]` (2026-07-28:
   * without it the upstream MUST NOT send `notifications/message` for the request).
   */
  logLevel?: LoggingLevel | undefined;
  /** Receives the upstream's `notifications/message` sent during the call. */
  onLog?: ((params: LoggingMessageNotificationParams) => void) | undefined;
}

type Params = Record<string, unknown>;
type SendOptions = { timeout: number; signal?: AbortSignal; onprogress?: (progress: Progress) => void };

function send(client: Client, call: BridgedCall, options: SendOptions, logLevel: LoggingLevel | undefined) {
  // The legacy client's own _meta names nothing the 2026 upstream knows (its progress token is replaced by the SDK's,
  // its other keys could forge the reserved envelope keys, which user _meta overrides): only the log level is set.
  const { _meta: _dropped, ...rest } = call.params;
  const params = logLevel === undefined ? rest : { ...rest, _meta: { [LOG_LEVEL_META_KEY]: logLevel } };
  const request = { ...options, resetTimeoutOnProgress: true };
  if (call.method === "tools/call") return client.callTool(params as Parameters<Client["callTool"]>[0], request);
  if (call.method === "prompts/get") return client.getPrompt(params as Parameters<Client["getPrompt"]>[0], request);
  if (call.method === "resources/read")
    return client.readResource(params as Parameters<Client["readResource"]>[0], request);
  return client.complete(params as Parameters<Client["complete"]>[0], request);
}

/**
 * Sends a legacy client's routed call to a 2026 upstream with the SDK v2 client (per-request `_meta`, standard
 * headers, `Mcp-Param-*` from the upstream's tool list, no session). When the upstream answers `input_required`, the
 * SDK hands each embedded request to `ask` (which relays it to the legacy client as an ordinary server-to-client
 * request) and retries with the answers and the upstream's `requestState`, for as many rounds as needed (the SDK's
 * cap: 10). Resolves with the final result; an upstream JSON-RPC error becomes a {@link GatewayError} with its code.
 */
export async function callModernUpstream(
  server: ServerConfig,
  call: BridgedCall,
  ask: AskClient,
  options: BridgeOptions,
): Promise<Params> {
  const client = new Client(options.clientInfo, {
    capabilities: BRIDGED_CLIENT_CAPABILITIES,
    versionNegotiation: { mode: { pin: MODERN_PROTOCOL_VERSION }, probe: { timeoutMs: options.timeoutMs } },
  });
  client.onerror = () => undefined;
  for (const method of ["elicitation/create", "sampling/createMessage", "roots/list"] as const) {
    client.setRequestHandler(method, (request) => ask(method, (request.params ?? {}) as Params) as never);
  }
  const { onLog, onProgress } = options;
  if (onLog) client.setNotificationHandler("notifications/message", (notification) => onLog(notification.params));
  const transport = new StreamableHTTPClientTransport(new URL(server.url), {
    requestInit: { headers: { ...server.headers } },
    ...authedFetchOption(options.credentials, server),
  });
  try {
    const prior = options.discover ? { prior: { kind: "modern" as const, discover: options.discover } } : {};
    await client.connect(transport, { timeout: options.timeoutMs, ...prior });
    const sendOptions: SendOptions = {
      timeout: options.timeoutMs,
      ...(options.signal && { signal: options.signal }),
      ...(onProgress && { onprogress: onProgress }),
    };
    return (await send(client, call, sendOptions, options.logLevel)) as Params;
  } catch (error: unknown) {
    if (error instanceof ProtocolError)
      throw new GatewayError(error.code as JsonRpcErrorCodeValue, error.message, { data: error.data });
    throw new GatewayError(JsonRpcErrorCode.UpstreamUnavailable, `server "${server.name}" did not complete the call`, {
      httpStatus: 502,
      cause: error,
    });
  } finally {
    await client.close().catch(() => undefined);
  }
}
