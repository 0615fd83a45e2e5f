import { AuthError } from "../auth/auth-errors";
import type { Authenticator } from "../auth/authenticator";
import { IDENTITY_HEADER, type Identity, type IdentityCodec } from "../auth/identity";
import type { GatewayConfig } from "../config/schema";
import { GatewayError, JsonRpcErrorCode } from "../errors";
import type { RateLimiter, RateLimitSpec } from "../ratelimit";
import { retryAfterSeconds } from "../ratelimit";
import { quoteCapped } from "../text-cap";
import { bearerTokenOf } from "../upstream-auth/upstream-credentials";
import type { RedactedCall, Redactor, ResultRedactor } from "../sanitize";
import { authorize, checkArguments, type Admission, type Caller } from "./admission";
import { AccessPolicy } from "./access-policy";
import type { AuditDecision, AuditHasher } from "../audit";
import type { ClientInfo } from "../audit/client-info";
import { AUDITED_METHODS, NO_AUDIT, type Auditor, type AuditSubject, type AuditTicket } from "./audit-ticket";
import { authFailure } from "./auth-failure";
import { endpointAudience } from "./endpoint-audience";
import { PolicyCache } from "./policy-cache";

const ANONYMOUS: Caller = {
  identity: { consumer: "anonymous", policy: "open", method: "anonymous" },
  policy: AccessPolicy.open(),
};

function unauthorized(message: string): GatewayError {
  return new GatewayError(JsonRpcErrorCode.Unauthorized, message, { httpStatus: 401 });
}

// A copy: ANONYMOUS is shared, and a caller may be reused.
function withClient(caller: Caller, client: ClientInfo | undefined): Caller {
  return client === undefined ? caller : { ...caller, client };
}

/** Dependencies of a {@link SecurityGate}; the functions are read per request so hot reloads take effect. */
export interface SecurityGateDeps {
  config: () => GatewayConfig;
  authenticator: () => Authenticator | undefined;
  identities: IdentityCodec;
  limiter?: RateLimiter | undefined;
  auditor?: Auditor | undefined;
  /** Keys the session digests of audit events and access logs (see {@link SecurityGate.sessionDigest}). */
  hasher?: AuditHasher | undefined;
  redactor: () => Redactor;
  /** Told about every refusal (for metrics): the decision and a bounded reason label. */
  onDecision?:
    ((decision: "unauthenticated" | "denied" | "rate_limited" | "rejected", reason: string) => void) | undefined;
}

/**
 * The gateway's security decisions, the same in the router and the standalone gateway: who is calling
 * (authentication), may it make this call (policy, size caps), may it make it now (rate limits), what goes on record
 * (audit) and what the reply must not show (redaction). Returns plain data or throws a {@link GatewayError} whose
 * status and headers the edge sends.
 */
export class SecurityGate {
  private readonly policies = new PolicyCache();

  constructor(private readonly deps: SecurityGateDeps) {}

  /** True with `auth: none`: everyone is the anonymous caller with every permission. */
  get open(): boolean {
    return this.deps.config().auth === "none";
  }

  /**
   * Authenticates a request at the edge that sees the client's credentials; failures are audited. `client` (address,
   * user agent) goes with the caller into every audit event of the request. `target` (the request target, Envoy's
   * `:path` by default) names the endpoint whose protected resource metadata a 401 points at.
   */
  async authenticate(
    httpMethod: string,
    headers: Readonly<Record<string, string>>,
    client?: ClientInfo,
    target?: string,
  ): Promise<Caller> {
    const authenticator = this.deps.authenticator();
    // No authenticator and not open: a process that must not authenticate (a broker behind a router). Fail closed.
    if (!authenticator) return withClient(this.anonymous(), client);
    const endpointTarget = target ?? headers[":path"];
    try {
      const audience = endpointAudience(this.deps.config(), endpointTarget);
      return withClient(this.caller(await authenticator.authenticate(headers, audience)), client);
    } catch (error: unknown) {
      if (!(error instanceof AuthError)) throw error;
      const subject = {
        method: httpMethod,
        ...{ server: null, target: null, args: undefined, session: null, id: null },
        client,
      };
      return this.refuse(
        undefined,
        subject,
        "unauthenticated",
        error.reason,
        authFailure(this.deps.config(), headers, error, endpointTarget),
      );
    }
  }

  /** The caller of a request no edge authenticated: anonymous with `auth: none`, else refused (401). */
  anonymous(): Caller {
    if (this.open) return ANONYMOUS;
    const message = "unauthorized: the request carries no authenticated identity";
    throw new GatewayError(JsonRpcErrorCode.Unauthorized, message, { httpStatus: 401 });
  }

  /**
   * The signed identity header the router sets for the broker; `bearer` is the token a JWT caller authenticated with
   * (see callerBearer), bound to the identity so the broker uses no other.
   */
  identityHeader(caller: Caller, bearer?: string): Record<string, string> {
    return this.open ? {} : { [IDENTITY_HEADER]: this.deps.identities.sign(caller.identity, bearer) };
  }

  /**
   * The caller named by the router's signed identity header (the broker behind Envoy); anything else is 401. A JWT
   * caller's request must carry the very bearer token the router authenticated (the one the header binds): the broker
   * exchanges or forwards it for per-consumer upstreams, so another token beside a valid header is refused.
   */
  fromIdentityHeader(headers: Readonly<Record<string, string>>, client?: ClientInfo): Caller {
    if (this.open) return withClient(ANONYMOUS, client);
    const value = headers[IDENTITY_HEADER];
    const verified =
      value === undefined ? undefined : this.deps.identities.verifyFor(value, bearerTokenOf(headers["authorization"]));
    if (verified === undefined) throw unauthorized("unauthorized: no valid identity from the gateway router");
    if (verified.identity.method === "jwt" && !verified.bound) {
      throw unauthorized("unauthorized: the bearer token is not the one the gateway router authenticated");
    }
    return withClient(this.caller(verified.identity), client);
  }

  /** The caller of an identity, with its compiled policy. */
  caller(identity: Identity): Caller {
    return { identity, policy: this.policies.get(this.deps.config().policies, identity.policy, identity.tools) };
  }

  /**
   * Admits a routed call before it reaches the upstream: policy size cap, permission, argument cap, then the rate
   * limits (consumer, then consumer and tool). Denials are audited and thrown; an admitted call gets its audit ticket.
   */
  async admit(caller: Caller, call: Admission): Promise<AuditTicket> {
    const subject: AuditSubject = {
      method: call.method,
      server: call.server,
      target: call.exposed === "" ? null : call.exposed,
      args: call.args,
      session: call.session,
      id: call.id,
    };
    const denied = authorize(caller, call) ?? checkArguments(call, this.deps.config().limits.maxArgumentBytes);
    if (denied) {
      if (denied.httpStatus === 403) return this.refuse(caller, subject, "denied", "policy", denied);
      return this.refuse(caller, subject, "rejected", "too_large", denied);
    }
    const tool = call.method === "tools/call" ? call.exposed : undefined;
    const limited = await this.rateLimit(caller, tool, call.id);
    if (limited) return this.refuse(caller, subject, "rate_limited", tool ? "tool_or_consumer" : "consumer", limited);
    return this.deps.auditor && AUDITED_METHODS.has(call.method) ? this.deps.auditor.start(caller, subject) : NO_AUDIT;
  }

  /**
   * Spends a consumer token for a broker-bound request that fans out to every upstream session of the caller
   * (`logging/setLevel`): otherwise it would reach upstreams without ever being counted. Throws 429 when spent.
   */
  async chargeFanOut(caller: Caller, method: string, id: string | number | null, session: string): Promise<void> {
    const limited = await this.rateLimit(caller, undefined, id);
    const subject = { method, server: null, target: null, args: undefined, session, id };
    if (limited) await this.refuse(caller, subject, "rate_limited", "consumer", limited);
  }

  /** Records a routed call the gateway rejected itself (unknown tool, bad params), within the refusal budget. */
  async rejected(caller: Caller, subject: AuditSubject, reason: string): Promise<void> {
    if (AUDITED_METHODS.has(subject.method)) await this.auditRefusal(caller, subject, "rejected", reason);
  }

  /** A session id as the audit log writes it (`hs:` and 16 hex digits); undefined without a hasher. */
  sessionDigest(id: string): string | undefined {
    return this.deps.hasher?.session(id);
  }

  /** The redaction a routed call's result needs, or undefined when no rule applies. */
  redactorFor(call: RedactedCall): ResultRedactor | undefined {
    return this.deps.redactor().forCall(call);
  }

  /** Every rule's redaction at once (see Redactor.forAnyCall), or undefined when no rule replaces anything. */
  anyCallRedactor(): ResultRedactor | undefined {
    return this.deps.redactor().forAnyCall();
  }

  /** Audits a refusal (within the refusal budget), tells the metrics, and throws the error the client gets. */
  private async refuse(
    caller: Caller | undefined,
    subject: AuditSubject,
    decision: "unauthenticated" | "denied" | "rate_limited" | "rejected",
    reason: string,
    error: GatewayError,
  ): Promise<never> {
    await this.auditRefusal(caller, subject, decision, decision === "unauthenticated" ? reason : error.message);
    this.deps.onDecision?.(decision, reason);
    throw error;
  }

  /**
   * Records a refusal if the consumer's refusal budget (`audit.refusalBudget`, one bucket per consumer and one shared
   * by all unauthenticated requests) has a token, else only counts it as suppressed. A limiter failure records it:
   * losing evidence is worse than an extra line.
   */
  private async auditRefusal(
    caller: Caller | undefined,
    subject: AuditSubject,
    decision: AuditDecision,
    reason: string,
  ): Promise<void> {
    const auditor = this.deps.auditor;
    if (!auditor) return;
    const limiter = this.deps.limiter;
    if (limiter) {
      const key = `a:${JSON.stringify(caller?.identity.consumer ?? null)}`;
      const outcome = await limiter.take(key, this.deps.config().audit.refusalBudget).catch(() => undefined);
      if (outcome && !outcome.allowed) {
        auditor.suppressed();
        return;
      }
    }
    auditor.decided(caller, subject, decision, reason);
  }

  /** The consumer's bucket, then (for a tools/call) its bucket for that tool: the 429 of the first one spent. */
  private async rateLimit(
    caller: Caller,
    tool: string | undefined,
    id: string | number | null,
  ): Promise<GatewayError | undefined> {
    const limiter = this.deps.limiter;
    if (!limiter) return undefined;
    const consumer = caller.identity.consumer;
    const buckets: [string, RateLimitSpec | undefined, string][] = [
      // JSON keeps the parts apart whatever they contain (a JWT subject may hold ':'), so no two pairs share a key.
      [`c:${JSON.stringify(consumer)}`, caller.policy.rateLimit, `consumer ${JSON.stringify(consumer)}`],
    ];
    if (tool !== undefined) {
      buckets.push([`t:${JSON.stringify([consumer, tool])}`, caller.policy.toolRateLimit, `tool ${quoteCapped(tool)}`]);
    }
    for (const [key, spec, what] of buckets) {
      if (!spec) continue;
      const outcome = await limiter.take(key, spec);
      if (outcome.allowed) continue;
      const retryAfter = retryAfterSeconds(outcome);
      return new GatewayError(
        JsonRpcErrorCode.RateLimited,
        `rate limit exceeded for ${what} (${spec.burst} calls at once, ${spec.ratePerSecond}/s); retry in ${retryAfter} s`,
        { httpStatus: 429, id, headers: { "retry-after": String(retryAfter) }, data: { retryAfter } },
      );
    }
    return undefined;
  }
}
