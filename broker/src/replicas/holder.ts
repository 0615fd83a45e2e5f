import { decodeServerRequestId, isRoutedMethod, parseJsonRpc, type GatewayContext } from "@mcp-gateway/core";
import { replicaOfRelayedId } from "./relayed-ids";

const STATE_MARK = Buffer.from('"requestState"');
const RELAYED_MARK = Buffer.from('"mcpgw:');

/** The replica named by the id of a legacy client's answer to a request the legacy bridge relayed (2026 upstreams). */
export function relayingReplica(context: GatewayContext, id: unknown): string | undefined {
  const origin = decodeServerRequestId(id);
  if (origin === undefined || context.upstreams.generation(origin.server) !== "2026") return undefined;
  return replicaOfRelayedId(origin.id);
}

/**
 * The replica a POST body must be handled by, when it names one: a modern client's retry of a bridged call (the
 * replica sealed into its `requestState`, which must be authentic and unexpired), or a legacy client's answer to a
 * relayed request (the replica in its id). Undefined for every other body, malformed ones included: those are the
 * business of this replica's handlers, which answer them as before. Bodies without either marker are not parsed.
 */
export function holderOf(context: GatewayContext, body: Buffer): string | undefined {
  if (!body.includes(STATE_MARK) && !body.includes(RELAYED_MARK)) return undefined;
  let message;
  try {
    message = parseJsonRpc(body, context.config().limits.maxJsonDepth);
  } catch {
    return undefined;
  }
  if (message.kind === "response") return relayingReplica(context, message.id);
  if (message.kind !== "request" || !isRoutedMethod(message.method)) return undefined;
  const params = message.params;
  const state =
    params !== undefined && !Array.isArray(params) && Object.hasOwn(params, "requestState")
      ? params["requestState"]
      : undefined;
  return typeof state === "string" ? context.requestStates.holder(state) : undefined;
}
