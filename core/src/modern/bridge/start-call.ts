import { GatewayError, JsonRpcErrorCode } from "../../errors";
import type { GatewayContext } from "../../gateway-context";
import { isJson } from "../../routing/result-uris";
import type { BackendSession } from "../../session/backend-store";
import { readLimited, type StreamingReply } from "../../upstream/upstream-http";
import {
  modernBackend,
  modernUpstreamHeaders,
  type ModernAdmission,
  type ModernAdmissionDeps,
} from "./modern-admission";
import type { ModernCallInput } from "./modern-call";
import { upstreamError } from "./modern-result";

/** An upstream call whose response headers arrived (its body is the bridged call's to read), or why it failed. */
export type StartedCall =
  { kind: "started"; reply: StreamingReply; backend: BackendSession } | { kind: "error"; error: GatewayError };

/** Largest error body of a refused call the bridge reads to find the upstream's JSON-RPC error. */
const MAX_ERROR_BODY = 64 * 1024;

/**
 * Sends the admitted request to its upstream on the keyed backend session (created lazily with the client's
 * capabilities). An upstream that lost the backend session (404) gets one replay on a fresh session, as the
 * forwarder does. The client's abort counts only until the response headers arrive: after that the body belongs to
 * the bridged call, which may outlive this request while it waits for the client's input responses.
 */
export async function startUpstreamCall(
  context: GatewayContext,
  deps: ModernAdmissionDeps,
  admission: ModernAdmission,
  input: ModernCallInput,
  upstreamId: string,
): Promise<StartedCall> {
  const limits = context.config().limits;
  const abort = new AbortController();
  const onAbort = (): void => abort.abort(input.signal.reason);
  input.signal.addEventListener("abort", onAbort, { once: true });
  if (input.signal.aborted) onAbort();
  const open = (backend: BackendSession): Promise<StreamingReply> =>
    context.http.open(admission.server, modernUpstreamHeaders(admission, backend), admission.body, {
      headersTimeoutMs: limits.upstreamTimeout,
      // The bridged call bounds the silence itself, and only while a client waits (not while it is held).
      idleTimeoutMs: 0,
      signal: abort.signal,
    });
  let backend: BackendSession | undefined;
  try {
    backend = await modernBackend(deps, admission, input.clientCapabilities);
    let reply = await open(backend);
    if (reply.status === 404 && backend.sessionId !== "") {
      reply.body.resume();
      await context.backendSessions.invalidate(admission.key, admission.server.name, backend.sessionId);
      backend = await modernBackend(deps, admission, input.clientCapabilities);
      reply = await open(backend);
    }
    if (reply.status >= 200 && reply.status < 300) return { kind: "started", reply, backend };
    return { kind: "error", error: await refusal(reply, admission, input, upstreamId) };
  } catch (error: unknown) {
    // The client went away before the upstream answered: that is a cancellation (told upstream), not a timeout.
    if (!input.signal.aborted) throw error;
    if (backend) cancelUpstream(context, admission, backend, upstreamId);
    throw new GatewayError(JsonRpcErrorCode.UpstreamUnavailable, "call cancelled: the client cancelled the request", {
      httpStatus: 503,
    });
  } finally {
    input.signal.removeEventListener("abort", onAbort);
  }
}

/** Best effort: `notifications/cancelled` for a call whose request may have reached the upstream. */
function cancelUpstream(
  context: GatewayContext,
  admission: ModernAdmission,
  backend: BackendSession,
  upstreamId: string,
): void {
  const reason = "the client cancelled the request";
  const message = { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: upstreamId, reason } };
  const options = {
    sessionId: backend.sessionId === "" ? undefined : backend.sessionId,
    protocolVersion: backend.protocolVersion,
    timeoutMs: context.config().limits.upstreamTimeout,
  };
  void context.http.post(admission.server, message, options).catch(() => undefined);
}

/** The upstream's own JSON-RPC error in a non-2xx reply, else a 502 naming the status. */
async function refusal(
  reply: StreamingReply,
  admission: ModernAdmission,
  input: ModernCallInput,
  upstreamId: string,
): Promise<GatewayError> {
  let message: unknown;
  try {
    message = JSON.parse((await readLimited(reply.body, MAX_ERROR_BODY)).toString("utf8"));
  } catch {
    reply.body.destroy();
    message = undefined;
  }
  const ours = isJson(message) && (message["id"] === upstreamId || message["id"] === null) && isJson(message["error"]);
  const error = ours && isJson(message) ? upstreamError(message, admission, input.requestId) : undefined;
  return (
    error ??
    new GatewayError(
      JsonRpcErrorCode.UpstreamUnavailable,
      `server "${admission.server.name}" answered HTTP ${reply.status}`,
      {
        httpStatus: 502,
        id: input.requestId,
      },
    )
  );
}
