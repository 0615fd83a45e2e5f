import {
  ACCESS_METADATA_NAMESPACE,
  AUDIT_FIELD_MAX_CHARS,
  capText,
  refusalReason,
  type GatewayError,
  type RequestFacts,
} from "@mcp-gateway/core";
import type { Struct } from "./ext-proc-messages";

/** The dynamic-metadata namespace the router writes for Envoy's access log (core's, which every attachment accepts). */
export const METADATA_NAMESPACE = ACCESS_METADATA_NAMESPACE;

/**
 * What the router decided: sent to an upstream, left to the broker, refused, a CORS preflight answered, or a console or
 * LLM path passed through to the broker unread (a listener-wide ext_proc, see pass-through.ts).
 */
export type AccessDecision = "routed" | "broker" | "refused" | "preflight" | "passthrough";

/** The keys of the router's dynamic metadata, as the access log reads them. */
export type AccessField =
  "method" | "server" | "target" | "consumer" | "session" | "decision" | "reason" | "protocol_version" | "jsonrpc_id";

/** Longest JSON-RPC id written (client data), as in the gateway's own access log. */
const JSONRPC_ID_MAX_CHARS = 64;

/** Longest protocol version written (real ones are dates such as 2025-11-25). */
const MAX_VERSION_CHARS = 32;

/**
 * One request's access-log fields, filled in as its phases run and sent to Envoy as ProcessingResponse
 * `dynamic_metadata`. Every value taken from client data is capped; the session appears only as the audit log's keyed
 * hash, never as the id itself.
 */
export class AccessMetadata {
  private readonly fields = new Map<AccessField, string>();
  /** The fields set or changed since the last {@link AccessMetadata.changes} (what Envoy has not been told yet). */
  private readonly unsent = new Set<AccessField>();

  /** `digest`: the audit log's keyed session hash (`SecurityGate.sessionDigest`); undefined writes no session. */
  constructor(private readonly digest: (id: string) => string | undefined) {}

  /** The client's `mcp-session-id` (verified or not) as the audit hash, and its protocol version. */
  request(headers: Readonly<Record<string, string>>): void {
    const session = headers["mcp-session-id"];
    const digest = session === undefined || session === "" ? undefined : this.digest(session);
    if (digest !== undefined) this.put("session", digest);
    const version = headers["mcp-protocol-version"];
    if (version !== undefined && version !== "") this.set("protocol_version", version, MAX_VERSION_CHARS);
  }

  /** The authenticated consumer. */
  consumer(name: string): void {
    this.set("consumer", name);
  }

  /** What the pipeline learnt of the JSON-RPC message: method, server, target. */
  facts(facts: RequestFacts): void {
    if (facts.method !== undefined) this.set("method", facts.method);
    if (facts.id !== undefined) this.set("jsonrpc_id", String(facts.id), JSONRPC_ID_MAX_CHARS);
    if (facts.server !== undefined) this.set("server", facts.server);
    if (facts.target !== undefined) this.set("target", facts.target);
  }

  /** The decision; a refusal also names its reason (the error's code, e.g. `forbidden`, `rate_limited`). */
  decide(decision: AccessDecision, error?: GatewayError): void {
    this.put("decision", decision);
    if (error) this.put("reason", refusalReason(error.code));
  }

  /** One field's value so far (for metrics labels). */
  get(field: AccessField): string | undefined {
    return this.fields.get(field);
  }

  /**
   * The fields set since the last call as a ProcessingResponse `dynamic_metadata` Struct, or undefined when there are
   * none. Envoy merges each answer's fields into the namespace (a field sent again replaces the earlier value), so
   * every field is sent once, with the first answer after it is known, and the log line ends up with all of them.
   */
  changes(): Struct | undefined {
    if (this.unsent.size === 0) return undefined;
    const fields: Record<string, { stringValue: string }> = Object.create(null) as Record<string, never>;
    for (const key of this.unsent) fields[key] = { stringValue: this.fields.get(key) ?? "" };
    this.unsent.clear();
    return { fields: { [METADATA_NAMESPACE]: { structValue: { fields } } } };
  }

  private set(field: AccessField, value: string, max = AUDIT_FIELD_MAX_CHARS): void {
    this.put(field, capText(value, max));
  }

  private put(field: AccessField, value: string): void {
    if (this.fields.get(field) === value) return;
    this.fields.set(field, value);
    this.unsent.add(field);
  }
}
