import {
  Client,
  ProtocolError,
  StreamableHTTPClientTransport,
  type DiscoverResult,
} from "@modelcontextprotocol/client";
import type { ServerConfig } from "../config/schema";
import { GatewayError, JsonRpcErrorCode, type JsonRpcErrorCodeValue } from "../errors";
import { MODERN_PROTOCOL_VERSION } from "./modern-session";

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
  /** The upstream's cached server/discover advertisement: connects without a probe when present. */
  discover?: DiscoverResult | undefined;
  /** Bound on each upstream exchange; progress from the upstream resets it. */
  timeoutMs: number;
  signal?: AbortSignal;
}

type Params = Record<string, unknown>;

function send(client: Client, call: BridgedCall, options: { timeout: number; signal?: AbortSignal }) {
  // The legacy client's own _meta (a progress token, for one) names nothing the 2026 upstream knows; the SDK writes
  // the request's envelope itself.
  const { _meta: _dropped, ...params } = call.params;
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
  const transport = new StreamableHTTPClientTransport(new URL(server.url), {
    requestInit: { headers: { ...server.headers } },
  });
  try {
    const prior = options.discover ? { prior: { kind: "modern" as const, discover: options.discover } } : {};
    await client.connect(transport, { timeout: options.timeoutMs, ...prior });
    const sendOptions = { timeout: options.timeoutMs, ...(options.signal && { signal: options.signal }) };
    return (await send(client, call, sendOptions)) as Params;
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
