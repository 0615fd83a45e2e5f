import { AuditHasher, AuditTap, openAuditLog, type AuditLog } from "../audit";
import { Authenticator, type ApiKeyRecord } from "../auth/authenticator";
import { IdentityCodec } from "../auth/identity";
import { JwtVerifier } from "../auth/jwt-verifier";
import type { AuthConfig, JwtConfig } from "../config/security-schema";
import type { GatewayConfig } from "../config/schema";
import { consumerNameKey, ConsumerRegistry } from "../consumers/consumer-registry";
import type { ConsumerStore } from "../consumers/consumer-store";
import { openConsumerStore } from "../consumers/open-consumer-store";
import type { Logger } from "../logging";
import { openRateLimiter, type RateLimiter } from "../ratelimit";
import { Redactor } from "../sanitize";
import { Auditor } from "./audit-ticket";
import { SecurityGate, type SecurityGateDeps } from "./security-gate";

/** The security runtime of one process: the gate, plus what must be closed at shutdown. */
export interface Security {
  readonly gate: SecurityGate;
  /** Dynamic consumers (admin API), when `admin` is configured and this process authenticates. */
  readonly registry: ConsumerRegistry | undefined;
  /**
   * The admin API's consumer store, when `admin` is configured (every process, the broker alone too): the broker reads
   * its connected consumers' current policy and revocation there, whichever process changed them.
   */
  readonly consumerStore: ConsumerStore | undefined;
  readonly audit: AuditLog | undefined;
  /** The audit log's live tail (admin API `/audit/stream`), when the admin API is configured here. */
  readonly auditTap: AuditTap | undefined;
  /** Applies a reloaded config: consumers, policies, JWT settings and redaction rules (stores stay as started). */
  reconfigure(config: GatewayConfig): void;
  /** Flushes the audit log (nothing recorded is lost) and closes stores. */
  close(): Promise<void>;
}

/** Live audit tails at once (admin API `/audit/stream`): each holds a connection and a bounded buffer. */
export const MAX_AUDIT_TAILS = 4;

/** Options of {@link createSecurity}. */
export interface SecurityOptions {
  logger: Logger;
  /** The secret the identity header and audit digests are keyed with (the session secret unless configured). */
  secret: string;
  /** Whether this process authenticates, rate-limits and audits (the router, standalone) or only trusts the router. */
  enforces: boolean;
  /** Told about every refusal (metrics). */
  onDecision?: SecurityGateDeps["onDecision"];
}

function jwtVerifier(jwt: JwtConfig): JwtVerifier {
  return new JwtVerifier({
    issuer: jwt.issuer,
    audience: jwt.audience,
    jwksUrl: jwt.jwksUrl,
    algorithms: [...jwt.algorithms],
    clockSkewSeconds: Math.round(jwt.clockSkew / 1000),
    consumerClaim: jwt.consumerClaim,
    ...(jwt.toolsClaim !== undefined ? { toolsClaim: jwt.toolsClaim } : {}),
  });
}

function buildAuthenticator(
  config: GatewayConfig,
  auth: AuthConfig,
  registry: ConsumerRegistry | undefined,
  verifier: JwtVerifier | undefined,
): Authenticator {
  const byHash = new Map<string, ApiKeyRecord>();
  const policies = new Map<string, string>();
  for (const consumer of config.consumers) {
    policies.set(consumer.name, consumer.policy);
    if (consumer.keyHash !== undefined) {
      byHash.set(consumer.keyHash, { consumer: consumer.name, policy: consumer.policy, keyHash: consumer.keyHash });
    }
  }
  return new Authenticator({
    ...(auth.apiKeys
      ? {
          apiKeys: {
            header: auth.apiKeys.header,
            lookup: (hash: string) => byHash.get(hash) ?? registry?.lookup(hash),
          },
        }
      : {}),
    ...(auth.jwt && verifier
      ? {
          jwt: {
            verifier,
            policyFor: (consumer: string) => policies.get(consumer),
            ...(auth.jwt.defaultPolicy !== undefined ? { defaultPolicy: auth.jwt.defaultPolicy } : {}),
          },
        }
      : {}),
  });
}

/** Runtime consumers of the admin API: only policies that exist, never a name the config gives a consumer. */
function consumerRegistry(store: ConsumerStore, config: () => GatewayConfig): ConsumerRegistry {
  return new ConsumerRegistry(store, {
    policyExists: (name) => Object.hasOwn(config().policies, name),
    nameReserved: (name) =>
      config().consumers.some((consumer) => consumerNameKey(consumer.name) === consumerNameKey(name)),
    configConsumers: () => config().consumers,
  });
}

function openSecurityAudit(config: GatewayConfig, logger: Logger, tap: AuditTap | undefined) {
  const onError = (error: unknown, sink: string) => logger.error("audit sink failed", { sink, error });
  return openAuditLog({ ...config.audit, maxQueue: config.audit.maxQueue }, onError, tap ? [tap] : []);
}

/** Builds the security runtime from a validated config (opens the audit sinks, the consumer and rate-limit stores). */
export async function createSecurity(initial: GatewayConfig, options: SecurityOptions): Promise<Security> {
  let config = initial;
  const open = config.auth === "none";
  const secret = (config.auth !== "none" ? config.auth.identitySecret : undefined) ?? options.secret;
  const consumerStore = !open && config.admin ? await openConsumerStore(config.admin.store) : undefined;
  const registry = consumerStore && options.enforces ? consumerRegistry(consumerStore, () => config) : undefined;
  // Opened even with `auth: none`, so a reload that adds consumers and rate limits enforces them at once.
  const limiter: RateLimiter | undefined = options.enforces
    ? await openRateLimiter(config.rateLimits.store ?? config.sessions.store)
    : undefined;
  // With the admin API here, the audit log always feeds its live tail, even when no sink is configured.
  const auditTap = registry ? new AuditTap(MAX_AUDIT_TAILS) : undefined;
  const audit = options.enforces ? await openSecurityAudit(config, options.logger, auditTap) : undefined;
  let jwtKey = "";
  let verifier: JwtVerifier | undefined;
  let authenticator: Authenticator | undefined;
  let redactor = new Redactor(config.sanitize.rules, config.sanitize.replacement);
  const rebuild = (): void => {
    if (config.auth === "none" || !options.enforces) {
      authenticator = undefined;
      return;
    }
    // The JWKS cache lives in the verifier: keep it unless the JWT settings changed.
    const key = JSON.stringify(config.auth.jwt ?? null);
    if (key !== jwtKey) {
      verifier = config.auth.jwt ? jwtVerifier(config.auth.jwt) : undefined;
      jwtKey = key;
    }
    authenticator = buildAuthenticator(config, config.auth, registry, verifier);
  };
  rebuild();
  // One hasher for the audit log and the router's access-log metadata: the same session hashes to the same digest.
  const hasher = new AuditHasher(secret);
  const gate = new SecurityGate({
    config: () => config,
    authenticator: () => authenticator,
    identities: new IdentityCodec(secret),
    limiter,
    auditor: audit ? new Auditor(audit, hasher) : undefined,
    hasher,
    redactor: () => redactor,
    onDecision: options.onDecision,
  });
  return {
    gate,
    registry,
    consumerStore,
    audit,
    auditTap,
    reconfigure(next) {
      config = next;
      redactor = new Redactor(next.sanitize.rules, next.sanitize.replacement);
      rebuild();
    },
    async close() {
      await audit?.close();
      await limiter?.close();
      await consumerStore?.close();
    },
  };
}
