import { sessionBinding, type Endpoint } from "../endpoints/endpoints";
import { GatewayError, JsonRpcErrorCode } from "../errors";
import type { Identity } from "../auth/identity";
import type { ClientInfo } from "../audit/client-info";
import { lookupTable } from "../own-keys";
import { capText, quoteCapped } from "../text-cap";
import type { AccessPolicy, TargetKind } from "./access-policy";

/** An authenticated caller: who it is and what it may do. */
export interface Caller {
  identity: Identity;
  policy: AccessPolicy;
  /** Where the request came from (audit events); absent where the edge did not say. */
  client?: ClientInfo | undefined;
  /** The endpoint the request came to (by its path); absent: the aggregated `/mcp`. */
  endpoint?: Endpoint | undefined;
}

/** Whose a gateway session is: the consumer that opened it ("" with `auth: none`). */
export function sessionOwner(caller: Caller): string {
  return caller.identity.method === "anonymous" ? "" : caller.identity.consumer;
}

/**
 * What a gateway session id is signed for: its owner and, past the aggregated `/mcp`, the endpoint that initialized
 * it (see {@link sessionBinding}): a session serves only the endpoint it was opened at.
 */
export function sessionKey(caller: Caller): string {
  return sessionBinding(sessionOwner(caller), caller.endpoint);
}

/** A routed call as admission sees it, before anything reaches the upstream. */
export interface Admission {
  method: string;
  /** What the call names; "response" for a client's answer to an upstream's request. */
  kind: TargetKind | "response";
  /** The exposed (prefixed) name or URI; "" for a response. */
  exposed: string;
  /** A resource URI's exposed form as the upstream normalizes it (see `checkResourceUri`), when the route knows it. */
  normalized?: string | undefined;
  server: string;
  id: string | number | null;
  /** Size of the body as it goes upstream (re-serialized); serialized arguments are never larger. */
  routedBytes: number;
  /** `params.arguments` of tools/call and prompts/get. */
  args: unknown;
  /** The client's gateway session. */
  session: string;
  /** For answers to a server's requests: whether the consumer may use anything of that server. */
  serverVisible?: boolean;
}

const VERBS = lookupTable({
  "tools/call": "call tool",
  "prompts/get": "get prompt",
  "resources/read": "read resource",
  "resources/subscribe": "subscribe to resource",
  "resources/unsubscribe": "unsubscribe from resource",
});

function forbidden(message: string, id: string | number | null, data: unknown): GatewayError {
  return new GatewayError(JsonRpcErrorCode.Forbidden, message, { httpStatus: 403, id, data });
}

/** Why the caller may not make this call (403), or undefined when its policy allows it. */
export function authorize(caller: Caller, call: Admission): GatewayError | undefined {
  const who = `consumer ${quoteCapped(caller.identity.consumer)}`;
  if (call.kind === "response") {
    if (caller.policy.allowsServer(call.server) && call.serverVisible !== false) return undefined;
    return forbidden(`${who} may not answer requests of server "${call.server}"`, call.id, { server: call.server });
  }
  // A resource URI the upstream normalizes differently must be allowed as sent and as the upstream will read it.
  const alsoNormalized =
    call.normalized === undefined ||
    call.normalized === call.exposed ||
    caller.policy.allows(call.kind, call.normalized, call.server);
  if (alsoNormalized && caller.policy.allows(call.kind, call.exposed, call.server)) return undefined;
  const verb = VERBS[call.method] ?? `use ${call.kind}`;
  const named = capText(call.exposed);
  return forbidden(`${who} may not ${verb} ${JSON.stringify(named)}`, call.id, { [call.kind]: named });
}

/**
 * A 413 when a call's serialized `arguments` exceed `maxArgumentBytes`. The re-serialized arguments are part of the
 * re-serialized body: a routed body within the cap cannot hold arguments beyond it, so they are only measured when it
 * is larger (the raw body is no bound: `1e20` grows when serialized).
 */
export function checkArguments(call: Admission, maxArgumentBytes: number): GatewayError | undefined {
  if (call.args === undefined || call.routedBytes <= maxArgumentBytes) return undefined;
  const size = Buffer.byteLength(JSON.stringify(call.args));
  if (size <= maxArgumentBytes) return undefined;
  return new GatewayError(
    JsonRpcErrorCode.RequestTooLarge,
    `arguments of ${quoteCapped(call.exposed)} are ${size} bytes, over the limit of ${maxArgumentBytes} bytes`,
    { httpStatus: 413, id: call.id },
  );
}
