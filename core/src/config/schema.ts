import { z } from "zod";
import { virtualServerSchema } from "./virtual-server-schema";
import { duration, HEADER_NAME_RE, HEADER_VALUE_RE, httpUrl, listenSchema, SERVER_NAME_RE } from "./fields";
import { accessLogSchema } from "./access-log-schema";
import { envoySchema } from "./envoy-schema";
import { tracingSchema } from "./tracing-schema";
import { securitySections } from "./security-schema";
import { upstreamAuthSchema } from "./upstream-auth-schema";
import { DEFAULT_BACKEND_INIT_TIMEOUT_MS } from "../ext-proc-settings";
import { RESOURCE_PREFIX_RE } from "../catalog/resource-uris";
import { compileTrustedProxies } from "../audit/client-info";
import { llmSchema } from "./llm-schema";
import { stdioBridgeSchema, stdioBridgeUrl, stdioServerFields } from "./stdio-schema";

const toolFilter = z
  .object({
    include: z.array(z.string().min(1)).optional(),
    exclude: z.array(z.string().min(1)).optional(),
  })
  .strict();

/** An address or CIDR range of a proxy in front of the standalone gateway whose `x-forwarded-for` entry is believed. */
const trustedProxy = z.string().superRefine((entry, ctx) => {
  try {
    compileTrustedProxies([entry]);
  } catch {
    ctx.addIssue({
      code: "custom",
      message: `expected an IP address or CIDR range (10.0.0.0/8, 2001:db8::/32) or loopback, linklocal, uniquelocal; found ${JSON.stringify(entry)}`,
    });
  }
});

const STDIO_ONLY = ["args", "env", "cwd", "stdio"] as const;

/** A server is reached at a `url` or spawned from a `command`: exactly one, with the fields of its kind only. */
function checkUpstreamKind(
  server: {
    url?: string | undefined;
    command?: string | undefined;
    headers?: object | undefined;
    auth?: unknown;
  } & Partial<Record<(typeof STDIO_ONLY)[number], unknown>>,
  ctx: z.RefinementCtx,
): void {
  const issue = (path: string, message: string): void => ctx.addIssue({ code: "custom", path: [path], message });
  if (server.url !== undefined && server.command !== undefined) {
    issue("command", "url and command exclude each other: a server is reached at a URL or spawned from a command");
  } else if (server.url === undefined && server.command === undefined) {
    issue("url", "expected url (an HTTP upstream) or command (a stdio server the gateway spawns)");
  }
  if (server.command !== undefined) {
    if (server.headers !== undefined) issue("headers", "only for an HTTP upstream (url); pass a stdio server env");
    if (server.auth !== undefined)
      issue("auth", "only for an HTTP upstream (url); pass a stdio server's credentials in env");
    return;
  }
  for (const field of STDIO_ONLY) {
    if (server[field] !== undefined) issue(field, "only for a stdio server (one with command)");
  }
}

/** One upstream MCP server. `prefix` defaults to `<name>_`; `""` keeps tool names unchanged. */
export const serverSchema = z
  .object({
    name: z
      .string()
      .regex(
        SERVER_NAME_RE,
        "expected lower-case letters, digits, '-' or '_' (max 63), starting with a letter or digit",
      ),
    /** An HTTP upstream's URL; a stdio server (`command`) gets the stdio bridge's URL for it instead. */
    url: httpUrl.optional(),
    ...stdioServerFields,
    prefix: z
      .string()
      .regex(/^[A-Za-z0-9_.-]*$/, "expected letters, digits, '_', '.' or '-'")
      .optional(),
    /**
     * Put with a `+` in front of each resource URI's scheme (`weather+weather://cities`); defaults to the tool prefix
     * without trailing separators, lower-cased, `_` as `-` (see docs/resource-uris.md); `""` keeps URIs unchanged.
     */
    resourcePrefix: z
      .string()
      .regex(
        RESOURCE_PREFIX_RE,
        "expected a URI scheme: a lower-case letter, then lower-case letters, digits, '.' or '-'",
      )
      .optional(),
    // The message never repeats the value: it is usually a credential.
    headers: z
      .record(
        z.string().regex(HEADER_NAME_RE, "expected an HTTP header name"),
        z
          .string()
          .regex(
            HEADER_VALUE_RE,
            "expected an HTTP header value: no control characters (CR, LF, NUL, …) and no blanks at either end",
          ),
      )
      .optional(),
    tools: toolFilter.optional(),
    /** Bound on a whole call to this server (Envoy's route timeout; the standalone forwarder's deadline); none if unset. */
    // 0 meant opposite things (standalone: every call times out at once; Envoy: no route timeout): refused.
    timeout: duration
      .refine((ms) => ms > 0, {
        error: 'expected a positive duration; leave timeout out for no per-server bound (0 is not "none")',
      })
      .optional(),
    /** Envoy mode: Envoy's active check of this server's cluster; unset means "tcp" (a connect, no protocol assumed). */
    healthCheck: z.enum(["tcp", "none"]).optional(),
    /** How the gateway authenticates to this server (OAuth grants, token exchange, passthrough); see docs/configuration.md. */
    auth: upstreamAuthSchema.optional(),
  })
  .strict()
  .superRefine(checkUpstreamKind)
  .superRefine((server, ctx) => {
    const setsAuthorization = Object.keys(server.headers ?? {}).some((name) => name.toLowerCase() === "authorization");
    if (server.auth && setsAuthorization)
      ctx.addIssue({
        code: "custom",
        path: ["headers"],
        message: "a server with `auth` gets its Authorization header from it: remove headers.Authorization",
      });
  })
  .transform((server) => ({ ...server, prefix: server.prefix ?? `${server.name}_`, headers: server.headers ?? {} }));

const storeSchema = z.union([
  z.literal("memory"),
  z.string().regex(/^rediss?:\/\/.+/, 'expected "memory" or a redis:// URL'),
]);

const sessionsSchema = z
  .object({
    secret: z.string().min(32, "expected at least 32 characters").optional(),
    ttl: duration.default(86_400_000),
    store: storeSchema.default("memory"),
    backendInitTimeout: duration.default(DEFAULT_BACKEND_INIT_TIMEOUT_MS),
    maxBackendSessions: z.number().int().positive().default(100_000),
    /** A backend session without a routed call for this long is ended upstream (DELETE) and forgotten. */
    backendIdleTimeout: duration.default(1_800_000),
    /** How long a modern client may take to answer an input_required result (its sealed requestState's lifetime). */
    requestStateTtl: duration.default(300_000),
  })
  .strict();

const limitsSchema = z
  .object({
    maxBodyBytes: z.number().int().positive().default(1_048_576),
    upstreamTimeout: duration.default(60_000),
    streamIdleTimeout: duration.default(300_000),
    /** Total size of a request's header names and values (431 above it). */
    maxHeaderBytes: z.number().int().positive().default(16_384),
    /** Size of a tools/call's serialized `arguments` (413 above it). */
    maxArgumentBytes: z.number().int().positive().default(262_144),
    /** How deeply a client's JSON-RPC message may nest objects and arrays (400 above it); the message is level 1. */
    maxJsonDepth: z.number().int().min(8).max(1024).default(64),
    /**
     * Time a client has to send a whole request, headers and body, to the standalone gateway, the broker and the
     * admin API (408 past it). A response may take as long as it needs: GET streams are not cut.
     */
    requestTimeout: duration.default(30_000),
    /** Open GET /mcp notification streams of one gateway session (429 above it). */
    maxStreamsPerSession: z.number().int().positive().default(2),
    /** Open GET /mcp notification streams of one consumer, across its sessions (429 above it). */
    maxStreamsPerConsumer: z.number().int().positive().default(32),
    /** Standalone: POSTs of one consumer in flight at once, slow routed calls included (429 above it). */
    maxConcurrentCallsPerConsumer: z.number().int().positive().default(32),
    /** Upstream GET notification streams the gateway holds open to one upstream server (per process). */
    maxUpstreamStreams: z.number().int().positive().default(256),
    /** Connections to one upstream server for calls, separate from its streams (read at start; Envoy: circuit breakers). */
    maxUpstreamConnections: z.number().int().positive().default(256),
    /** Envoy mode: requests Envoy has open to the broker at once, GET notification streams included (circuit breaker). */
    maxBrokerRequests: z.number().int().positive().default(8192),
    /** Upstream calls held open in this process while modern clients answer input_required results (total). */
    maxHeldCalls: z.number().int().positive().default(1024),
    /** The same, per consumer (429 above it). */
    maxHeldCallsPerConsumer: z.number().int().positive().default(16),
  })
  .strict();

const healthSchema = z
  .object({
    interval: duration.default(10_000),
    maxBackoff: duration.default(60_000),
    timeout: duration.default(5_000),
  })
  .strict();

/** Every provider a policy's `llm` names must be configured in `llm.providers`. */
function checkLlmProviders(
  config: {
    llm?: { providers: { name: string }[] } | undefined;
    policies: Record<string, { llm?: { providers: string[] } | undefined }>;
  },
  ctx: z.RefinementCtx,
): void {
  const known = new Set(config.llm?.providers.map((provider) => provider.name) ?? []);
  for (const [name, policy] of Object.entries(config.policies)) {
    policy.llm?.providers.forEach((provider, index) => {
      if (!known.has(provider))
        ctx.addIssue({
          code: "custom",
          path: ["policies", name, "llm", "providers", index],
          message: `unknown LLM provider ${JSON.stringify(provider)}: expected one of llm.providers[].name (${[...known].join(", ") || "none configured"})`,
        });
    });
  }
}

/** The whole gateway configuration file (`version: 1`). */
export const configSchema = z
  .object({
    version: z.literal(1, { error: "expected version: 1" }),
    /**
     * Required, possibly empty: `servers: []` is a gateway that routes nothing (what the controller renders once the
     * last MCPServer is gone), never "keep the last config".
     */
    servers: z.array(serverSchema),
    /** Curated endpoints, each a selection of tools, prompts and resources across servers at its own path. */
    virtualServers: z.array(virtualServerSchema).default([]),
    sessions: sessionsSchema.prefault({}),
    limits: limitsSchema.prefault({}),
    health: healthSchema.prefault({}),
    envoy: envoySchema.prefault({}),
    tracing: tracingSchema.prefault({}),
    router: z
      .object({ listen: listenSchema.default("127.0.0.1:9000"), metricsListen: listenSchema.default("127.0.0.1:9091") })
      .strict()
      .prefault({}),
    security: z
      .object({
        allowedHosts: z.array(z.string().min(1)).optional(),
        allowedOrigins: z.array(z.url({ error: "expected an origin such as https://app.example.com" })).optional(),
      })
      .strict()
      .prefault({}),
    standalone: z
      .object({
        listen: listenSchema.default("127.0.0.1:8080"),
        advertiseUrl: httpUrl.optional(),
        /**
         * Proxies whose `x-forwarded-for` entries name the client in audit events (right to left, past every trusted
         * hop); with none the TCP peer is the client. Envoy mode uses `envoy.xffTrustedHops` instead.
         */
        trustedProxies: z.array(trustedProxy).default([]),
      })
      .strict()
      .prefault({}),
    broker: z
      .object({ listen: listenSchema.default("127.0.0.1:8081"), advertiseUrl: httpUrl.optional() })
      .strict()
      .prefault({}),
    // Read once at start: a metric's label set cannot change in a running process.
    metrics: z
      .object({
        toolLabel: z.boolean().default(false),
        toolLabelLimit: z.number().int().min(1).max(1000).default(50),
        /** Label the LLM token counter by consumer too (at most `consumerLabelLimit` names; later ones "other"). */
        consumerLabel: z.boolean().default(false),
        consumerLabelLimit: z.number().int().min(1).max(10000).default(100),
      })
      .strict()
      .prefault({}),
    accessLog: accessLogSchema.prefault({}),
    /** Where the gateway serves its stdio servers over Streamable HTTP (loopback: never through the public listener). */
    stdioBridge: stdioBridgeSchema,
    /** The web console at /ui (static files; it talks MCP to /mcp and to the admin API like any client). */
    console: z
      .object({
        enabled: z.boolean().default(false),
        /** The console's OAuth client id at the first `auth.resourceMetadata.authorizationServers` (a public client). */
        oidcClientId: z.string().min(1).max(256).optional(),
        /**
         * Ask the issuer for `offline_access` (with prompt=consent) so the console can renew its token silently with a
         * refresh token. Off by default: many issuers refuse offline access to clients not allowed it.
         */
        oidcOfflineAccess: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    /** The LLM proxy: OpenAI-compatible providers behind /v1/chat/completions and /v1/responses. */
    llm: llmSchema.optional(),
    ...securitySections,
  })
  .strict()
  .superRefine((config, ctx) => {
    if (config.servers.some((server) => server.command !== undefined) && config.stdioBridge.listen.endsWith(":0")) {
      ctx.addIssue({
        code: "custom",
        path: ["stdioBridge", "listen"],
        message: "expected a fixed port: stdio servers are reached (and rendered for Envoy) at the bridge's address",
      });
    }
    if (
      config.console.oidcClientId !== undefined &&
      (typeof config.auth !== "object" || config.auth.resourceMetadata.authorizationServers.length === 0)
    ) {
      ctx.addIssue({
        code: "custom",
        path: ["console", "oidcClientId"],
        message: "the console signs in at auth.resourceMetadata.authorizationServers[0]: set it, or drop oidcClientId",
      });
    }
    checkLlmProviders(config, ctx);
    const guarded = config.consumers.length > 0 || Object.keys(config.policies).length > 0;
    if (config.auth === "none" && guarded) {
      ctx.addIssue({
        code: "custom",
        path: ["auth"],
        message: "auth: none cannot be combined with consumers or policies (remove one or the other)",
      });
    }
    if (config.auth === undefined && !guarded) {
      ctx.addIssue({
        code: "custom",
        path: ["auth"],
        message:
          "no authentication configured: add consumers and policies (see docs/security.md), or set `auth: none` to run open (never in production)",
      });
    }
  })
  .transform(({ auth, ...config }) => ({
    ...config,
    // Everything downstream (sessions, routing, render-envoy) reaches a stdio server as an HTTP upstream on the bridge.
    servers: config.servers.map((server) => ({
      ...server,
      url: server.url ?? stdioBridgeUrl(config.stdioBridge.listen, server.name),
    })),
    // Consumers or policies without an auth section mean API keys in `Authorization: Bearer`: default deny.
    auth: auth ?? { apiKeys: { header: "authorization" }, resourceMetadata: { authorizationServers: [] } },
  }));

/** One validated upstream server. */
/** The validated, defaulted gateway configuration. */
export type GatewayConfig = z.output<typeof configSchema>;
/** One validated upstream server; a stdio server (`command`) has the bridge's URL for it as `url`. */
export type ServerConfig = GatewayConfig["servers"][number];
