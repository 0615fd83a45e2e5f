import { z } from "zod";
import { hashApiKey, isApiKeyHash } from "../auth/api-keys";
import { SUPPORTED_JWT_ALGORITHMS } from "../auth/jwt-options";
import { lookupTable } from "../own-keys";
import { duration, HEADER_NAME_RE, httpUrl, listenSchema, SERVER_NAME_RE } from "./fields";
import { expectedFound } from "./issue-messages";
import { llmPolicySchema } from "./llm-schema";

const RATE_RE = /^(\d+(?:\.\d+)?)\s*\/\s*(s|sec|second|m|min|minute|h|hour)$/;
const PER_SECONDS = lookupTable({
  s: 1,
  sec: 1,
  second: 1,
  m: 60,
  min: 60,
  minute: 60,
  h: 3600,
  hour: 3600,
});

const RATE_EXPECTED = 'a rate like "5/s", "100/m" or "1000/h"';
/** A string or a number; anything else is reported as what it is (a list, a mapping, …). */
const rateText = z.union([z.string(), z.number()], { error: (issue) => expectedFound(RATE_EXPECTED, issue.input) });

/** A rate as `5/s`, `100/m`, `1000/h` or a number per second; parsed to tokens per second. */
const rate = rateText.transform((value, ctx) => {
  const match = typeof value === "string" ? RATE_RE.exec(value.trim()) : null;
  const perSecond =
    typeof value === "number" ? value : match ? Number(match[1]) / (PER_SECONDS[match[2] ?? "s"] ?? 1) : NaN;
  if (!Number.isFinite(perSecond) || perSecond <= 0) {
    ctx.addIssue({
      code: "custom",
      message: `expected ${RATE_EXPECTED}, got ${JSON.stringify(value)}`,
    });
    return z.NEVER;
  }
  return perSecond;
});

/** A token bucket: `rate` refills it, `burst` is its size (how many calls may come at once). */
const rateLimitSchema = z
  .object({ rate, burst: z.number().int().min(1, "expected at least 1") })
  .strict()
  .transform(({ rate: ratePerSecond, burst }) => ({ ratePerSecond, burst }));

const globList = z.array(z.string().min(1, "expected a non-empty pattern"));

/**
 * What one consumer may do. Absent lists allow nothing (default deny): `tools: ["*"]` allows every tool. `servers`
 * narrows everything further to those upstreams; absent means any server.
 */
const policySchema = z
  .object({
    servers: z.array(z.string().regex(SERVER_NAME_RE, "expected a server name")).optional(),
    tools: globList.default([]),
    prompts: globList.default([]),
    resources: globList.default([]),
    rateLimit: rateLimitSchema.optional(),
    toolRateLimit: rateLimitSchema.optional(),
    maxBodyBytes: z.number().int().positive().optional(),
    /** LLM endpoints (see docs/llm-proxy.md): absent, the policy's consumers may not use them. */
    llm: llmPolicySchema.optional(),
  })
  .strict();

const CONSUMER_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

const consumerSchema = z
  .object({
    name: z.string().regex(CONSUMER_NAME_RE, "expected letters, digits, '.', '_' or '-' (max 63)"),
    policy: z.string().min(1),
    keyHash: z
      .string()
      .refine(isApiKeyHash, 'expected "sha256:<64 hex>" as printed by `mcp-gateway hash-key`')
      .optional(),
  })
  .strict();

const algorithm = z.string().refine((alg) => SUPPORTED_JWT_ALGORITHMS.includes(alg), {
  error: (issue) =>
    `algorithm ${JSON.stringify(issue.input)} is not allowed: use one of ${SUPPORTED_JWT_ALGORITHMS.join(", ")} ("none" and shared-secret HS* algorithms are never accepted)`,
});

const jwtSchema = z
  .object({
    issuer: z.string().min(1),
    audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    /**
     * `endpoint`: a token is accepted only at the endpoint it was issued for (RFC 8707): `audience` at `/mcp`, and at
     * `/mcp/<server>` or a virtual server the URL entries of `audience` continued by the endpoint's path
     * (`https://gw.example/mcp` → `https://gw.example/mcp/weather`). `gateway`: `audience` at every endpoint.
     */
    audienceScope: z.enum(["endpoint", "gateway"]).default("endpoint"),
    jwksUrl: httpUrl,
    algorithms: z.array(algorithm).min(1, "expected at least one algorithm").default(["RS256"]),
    clockSkew: duration.default(30_000),
    consumerClaim: z.string().min(1).default("sub"),
    toolsClaim: z.string().min(1).optional(),
    defaultPolicy: z.string().min(1).optional(),
  })
  .strict();

const authSchema = z
  .object({
    apiKeys: z
      .object({
        header: z
          .string()
          .regex(HEADER_NAME_RE, "expected an HTTP header name")
          .transform((name) => name.toLowerCase())
          .refine((name) => !name.startsWith("x-mcp-") && name !== "x-destination-mcp", {
            error: "x-mcp-* and x-destination-mcp are the gateway's own headers (the router strips client copies)",
          })
          .default("authorization"),
      })
      .strict()
      .optional(),
    jwt: jwtSchema.optional(),
    resourceMetadata: z
      .object({
        resource: httpUrl.optional(),
        authorizationServers: z.array(httpUrl).default([]),
        scopes: z.array(z.string().min(1)).optional(),
      })
      .strict()
      .prefault({}),
    identitySecret: z.string().min(32, "expected at least 32 characters").optional(),
  })
  .strict();

const redactionRuleSchema = z
  .object({
    targets: globList.optional(),
    servers: z.array(z.string()).optional(),
    keys: z.array(z.string().min(1)).optional(),
    patterns: z
      .array(
        z.string().superRefine((source, ctx) => {
          try {
            if (new RegExp(source, "u").test(""))
              ctx.addIssue({ code: "custom", message: "pattern matches the empty string" });
          } catch (error: unknown) {
            ctx.addIssue({ code: "custom", message: `invalid regular expression: ${(error as Error).message}` });
          }
        }),
      )
      .optional(),
  })
  .strict();

const auditSchema = z
  .object({
    stdout: z.boolean().default(false),
    file: z
      .object({
        path: z.string().min(1),
        maxBytes: z.number().int().positive().default(10_485_760),
        maxFiles: z.number().int().min(1).default(5),
      })
      .strict()
      .optional(),
    postgres: z
      .object({
        url: z.string().regex(/^postgres(ql)?:\/\/.+/, "expected a postgres:// URL"),
        table: z.string().optional(),
      })
      .strict()
      .optional(),
    maxQueue: z.number().int().positive().default(10_000),
    // Refusals each consumer may put on record: past it a refusal is still answered but only counted, so a flood of
    // refused calls (which spend no rate-limit token) cannot rotate real events out of the sinks.
    refusalBudget: rateLimitSchema.default({ ratePerSecond: 1, burst: 20 }),
  })
  .strict();

const adminSchema = z
  .object({
    listen: listenSchema.default("127.0.0.1:9092"),
    token: z.string().min(32, "expected at least 32 characters").optional(),
    tokenHash: z.string().refine(isApiKeyHash, 'expected "sha256:<64 hex>" (`mcp-gateway hash-key`)').optional(),
    store: z.string().min(1).default("file:./mcp-gateway-consumers.json"),
  })
  .strict()
  .superRefine((admin, ctx) => {
    if ((admin.token === undefined) === (admin.tokenHash === undefined)) {
      ctx.addIssue({ code: "custom", message: "set exactly one of admin.token or admin.tokenHash", path: ["token"] });
    }
  })
  .transform(({ token, tokenHash, ...rest }) => ({ ...rest, tokenHash: tokenHash ?? hashApiKey(token ?? "") }));

/** The security sections of the config file (see docs/security.md). */
export const securitySections = {
  auth: z.union([z.literal("none"), authSchema]).optional(),
  consumers: z.array(consumerSchema).default([]),
  policies: z.record(z.string().min(1), policySchema).default({}),
  rateLimits: z
    .object({
      store: z
        .union([z.literal("memory"), z.string().regex(/^rediss?:\/\/.+/, 'expected "memory" or a redis:// URL')])
        .optional(),
    })
    .strict()
    .prefault({}),
  sanitize: z
    .object({ replacement: z.string().default("[REDACTED]"), rules: z.array(redactionRuleSchema).default([]) })
    .strict()
    .prefault({}),
  audit: auditSchema.prefault({}),
  admin: adminSchema.optional(),
};

/** One access policy. */
export type PolicyConfig = z.output<typeof policySchema>;
/** One statically configured consumer. */
export type ConsumerConfig = z.output<typeof consumerSchema>;
/** JWT/OIDC settings. */
export type JwtConfig = z.output<typeof jwtSchema>;
/** Authentication settings when authentication is on. */
export type AuthConfig = z.output<typeof authSchema>;
/** A token bucket in tokens per second. */
export type RateLimitConfig = z.output<typeof rateLimitSchema>;
