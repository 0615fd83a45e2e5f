import { DEFAULT_NEGOTIATED_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS } from "@modelcontextprotocol/sdk/types.js";
import { servedAt, type Endpoint } from "../endpoints/endpoints";
import type { GatewayConfig, ServerConfig } from "../config/schema";
import { GatewayError, JsonRpcErrorCode, logUnexpected } from "../errors";
import { logDecision } from "./decision-log";
import { parseJsonRpc, type JsonRpcMessage, type JsonRpcRequest } from "../jsonrpc/message";
import { classifyRequest, type RequestEra } from "../modern/classify";
import type {
  IncomingRequest,
  PipelineOutcome,
  RequestFacts,
  RequestPipelineDeps,
  UpstreamCall,
} from "./pipeline-types";
import { paramHeaderSchemas } from "../modern/param-headers";
import type { TaskIdCodec } from "../modern/task-ids";
import { createdTasks, taskCall } from "../modern/tasks/task-call";
import type { TaskReplyIds } from "../modern/tasks/task-reply";
import { isTaskMethod, type TaskMethod } from "../modern/tasks/tasks-extension";
import { isRoutedMethod } from "../jsonrpc/methods";
import { ConsumerInstances } from "../session/consumer-instances";
import { sessionKey, sessionOwner, type Caller } from "../policy/admission";
import { seesServer } from "../policy/visible-lists";
import { IDENTITY_HEADER } from "../auth/identity";
import { CLIENT_ADDRESS_HEADER } from "../audit/client-info";
import { bodyTooLarge } from "../security/request-limits";
import { buildUpstreamHeaders, INTERNAL_HEADERS, SESSION_HEADER } from "./headers";
import { MODERN_BACKEND, MODERN_ROUTED_METHODS, modernCallHeaders } from "./modern-route";
import { admissionOf, redactionOf } from "./call-admission";
import { route, type RouteDecision } from "./route";
import { decodeServerRequestId } from "./server-request-ids";
import { callerBearer, withUpstreamAuth } from "../upstream-auth/call-auth";
import { upstreamRefusal } from "../upstream-auth/upstream-refusal";
import { withConsumerAuth } from "../upstream-auth/upstream-credentials";

/**
 * Why an id that does not verify is refused: a forged or foreign id, or one opened at another endpoint (an id is
 * signed for the endpoint that initialized it; which one is not said, nor tried: every endpoint would cost an HMAC).
 */
/** The longest a call naming a just-added server's tool waits for that server's first listing. */
const NEW_NAME_WAIT_MS = 3_000;

const UNKNOWN_SESSION = "unknown, or initialized at another endpoint: a session serves only the path that opened it";

function sessionNotFound(reason: string, id: string | number | null): GatewayError {
  return new GatewayError(JsonRpcErrorCode.SessionNotFound, `session not found (${reason}); initialize a new session`, {
    httpStatus: 404,
    id,
  });
}

/**
 * Compressed request bodies are refused in both modes alike: Envoy hands the router the bytes as sent, while the
 * standalone body parser would inflate them, so accepting them would make the two modes decide differently.
 */
function checkContentEncoding(headers: Readonly<Record<string, string>>): void {
  const encoding = headers["content-encoding"]?.trim().toLowerCase();
  if (encoding === undefined || encoding === "" || encoding === "identity") return;
  throw new GatewayError(
    JsonRpcErrorCode.InvalidRequest,
    `content-encoding ${JSON.stringify(encoding)} is not supported; send the JSON-RPC body uncompressed`,
    { httpStatus: 415 },
  );
}

// Derived once per (frozen) config: the hot path only looks the list up.
const credentialHeaderLists = new WeakMap<GatewayConfig, readonly string[]>();

function credentialHeadersOf(config: GatewayConfig): readonly string[] {
  let headers = credentialHeaderLists.get(config);
  if (!headers) {
    const apiKeyHeader = config.auth === "none" ? undefined : config.auth.apiKeys?.header;
    headers = [...(apiKeyHeader ? [apiKeyHeader] : []), IDENTITY_HEADER, CLIENT_ADDRESS_HEADER];
    credentialHeaderLists.set(config, headers);
  }
  return headers;
}

/** The upstream credentials of a call to a server without `servers[].auth`: none. */
const NO_AUTH: Readonly<Record<string, string>> = Object.freeze({});

/** Broker-bound methods the broker sends on to every upstream session of the caller: they spend rate-limit tokens. */
const FAN_OUT_METHODS: ReadonlySet<string> = new Set(["logging/setLevel"]);

/**
 * The gateway's request path, shared by the Envoy router and the standalone forwarder: size limit, JSON-RPC
 * parse, routing decision, gateway session check and the lazy backend session.
 */
export class RequestPipeline {
  /** The perSession stdio processes each consumer's sessions hold (`stdio.maxInstancesPerConsumer`). */
  private readonly consumerInstances = new ConsumerInstances();

  constructor(private readonly deps: RequestPipelineDeps) {}

  /** A gateway session ended (DELETE): the processes it held no longer count for its consumer. */
  sessionEnded(gatewaySession: string): void {
    this.consumerInstances.release(gatewaySession);
  }

  /** Headers a client must never set: the router strips them before anything else (they steer routing). */
  static readonly internalHeaders = INTERNAL_HEADERS;

  /**
   * Decides a request with a body (POST). Never throws: failures come back as `reject`. `parsed`: the body as
   * {@link classify} already parsed it (saves a second parse on the hot path).
   */
  async decide(request: IncomingRequest, parsed?: JsonRpcMessage): Promise<PipelineOutcome> {
    return logDecision(this.deps.logger, await this.decideLegacy(request, parsed));
  }

  private async decideLegacy(request: IncomingRequest, parsed?: JsonRpcMessage): Promise<PipelineOutcome> {
    let id: string | number | null = null;
    const facts: RequestFacts = {};
    try {
      const caller = request.caller ?? this.deps.security.anonymous();
      const body = request.body ?? Buffer.alloc(0);
      this.checkBodySize(body.length, caller);
      checkContentEncoding(request.headers);
      const message = parsed ?? parseJsonRpc(body, this.deps.config().limits.maxJsonDepth);
      id = message.kind === "notification" ? null : message.id;
      if (message.kind !== "response") facts.method = message.method;
      if (message.kind === "request") facts.id = message.id;
      const routed =
        message.kind === "request"
          ? isRoutedMethod(message.method)
          : message.kind === "response" && decodeServerRequestId(message.id) !== undefined;
      if (!routed) {
        if (message.kind === "request" && FAN_OUT_METHODS.has(message.method)) {
          const session = this.verifySessionId(request.headers, id, sessionKey(caller));
          await this.deps.security.chargeFanOut(caller, message.method, id, session);
        }
        return { kind: "broker", facts };
      }
      // The session id is checked before the name is resolved: a client with a dead session must learn that first.
      const gatewaySession = this.verifySessionId(request.headers, id, sessionKey(caller));
      const decision = await this.routeAwaitingNewServers(message, caller.endpoint);
      if (decision.kind === "upstream") {
        facts.server = decision.target.server.name;
        if (decision.named.exposed !== "") facts.target = decision.named.exposed;
        // A 2026 upstream has no session to send a legacy client's call on: the broker bridges it (and receives the
        // client's answers to the requests it relays, whose ids name that server).
        if (this.isModernServer(decision.target.server.name)) return { kind: "broker", facts };
      }
      if (decision.kind !== "upstream") {
        if (await this.deps.store.isRevoked(gatewaySession)) throw sessionNotFound("ended", id);
        if (decision.kind === "reject" && message.kind === "request") {
          const subject = {
            method: message.method,
            server: null,
            target: null,
            args: undefined,
            session: gatewaySession,
            id,
          };
          await this.deps.security.rejected(caller, subject, decision.error.message);
        }
        return { ...decision, facts };
      }
      return { kind: "upstream", call: await this.admitted(request, caller, gatewaySession, decision), facts };
    } catch (error: unknown) {
      const rejected = GatewayError.from(error, id);
      logUnexpected(this.deps.logger, rejected, { phase: "decide" });
      return { kind: "reject", error: rejected, facts };
    }
  }

  /**
   * Routes `message`; a name unknown only because its server was configured moments ago and has not listed yet is
   * routed again once it has (bounded by {@link NEW_NAME_WAIT_MS}, below Envoy's ext_proc message timeout).
   */
  private async routeAwaitingNewServers(
    message: JsonRpcMessage,
    endpoint: Endpoint | undefined,
  ): Promise<RouteDecision> {
    let decision = route(message, this.deps.catalog(endpoint), this.deps.config().servers);
    const deadline = Date.now() + NEW_NAME_WAIT_MS;
    while (decision.kind === "reject" && decision.unknownName && this.deps.awaitNewServers) {
      if (!(await this.deps.awaitNewServers(deadline - Date.now()))) break;
      decision = route(message, this.deps.catalog(endpoint), this.deps.config().servers);
    }
    return decision;
  }

  /** A routed call past policy and rate limits, with its backend session: what goes to the upstream. */
  private async admitted(
    request: IncomingRequest,
    caller: Caller,
    gatewaySession: string,
    decision: Extract<RouteDecision, { kind: "upstream" }>,
  ): Promise<UpstreamCall> {
    const server = servedAt(decision.target.server, caller.endpoint);
    const audit = await this.deps.security.admit(caller, {
      ...admissionOf(decision, gatewaySession),
      // An answer to a server's request goes only to a server the consumer can use something of.
      serverVisible:
        decision.named.kind !== "response" ||
        seesServer(this.deps.catalog(caller.endpoint), caller.policy, server.name),
    });
    try {
      // Without upstream credentials for the server there is nothing to wait for (no extra await on the hot path).
      const auth = this.hasUpstreamAuth(server) ? await this.upstreamAuth(server, caller, request.headers) : NO_AUTH;
      // One store round trip for both questions of the hot path: has the session ended, is there a backend session?
      const ttl = this.deps.config().sessions.ttl;
      const idleTtl = this.deps.backendSessions.lifetime(ttl);
      const { revoked, session } = await this.deps.store.lookup(gatewaySession, server.name, idleTtl);
      if (revoked) throw sessionNotFound("ended", decision.id);
      const owner = sessionOwner(caller);
      const counted = this.consumerInstances.admit(server, owner, gatewaySession, idleTtl);
      const version = this.protocolVersion(request.headers, decision.id);
      // A new backend session is initialized with the call's own credentials (per-consumer modes: the caller's).
      const target = withConsumerAuth(server, auth);
      const backend = await this.deps.backendSessions
        .acquire(gatewaySession, target, version, ttl, session ?? null)
        .catch((error: unknown) => {
          // No process was started for the session: it must not count against its consumer.
          if (counted) this.consumerInstances.release(gatewaySession, server.name, owner);
          throw error;
        });
      const redactor = this.deps.security.redactorFor(redactionOf(decision));
      const { method, body } = decision;
      const targetName = decision.target.name;
      // The call is built once, its headers with it (no copy of it to add them).
      const headers = buildUpstreamHeaders({ server, method, targetName, backend, body }, this.credentialHeaders());
      const call = {
        server,
        method,
        targetName,
        requestId: decision.id,
        gatewaySession,
        backend,
        body,
        audit,
        redactor,
        upstreamAuth: auth,
        setHeaders: headers.setHeaders,
        removeHeaders: headers.removeHeaders,
      };
      return withUpstreamAuth(call, auth);
    } catch (error: unknown) {
      audit.finish(null);
      throw error;
    }
  }

  /** True when calls to `server` carry upstream credentials the gateway obtains ({@link upstreamAuth}). */
  private hasUpstreamAuth(server: ServerConfig): boolean {
    return Boolean(this.deps.credentials) && Boolean(server.auth);
  }

  /**
   * Headers carrying the client's identity, which never reach an upstream: the API key header when it is not
   * `authorization` (always removed), and the identity header the router set for the broker (Envoy mode).
   */
  private credentialHeaders(): readonly string[] {
    return credentialHeadersOf(this.deps.config());
  }

  /** The upstream credentials of one call to `server` (none without `servers[].auth`). */
  private async upstreamAuth(
    server: ServerConfig,
    caller: Caller,
    headers: Readonly<Record<string, string>>,
  ): Promise<Readonly<Record<string, string>>> {
    const credentials = this.deps.credentials;
    if (!credentials || !server.auth) return {};
    return credentials.callHeaders(server, callerBearer(caller, headers));
  }

  /** 413 past the caller's policy limit, else the gateway's (`limits.maxBodyBytes`). */
  private checkBodySize(size: number, caller: Caller): void {
    const limit = caller.policy.maxBodyBytes ?? this.deps.config().limits.maxBodyBytes;
    if (size > limit)
      throw bodyTooLarge(size, limit, caller.policy.maxBodyBytes === undefined ? undefined : caller.policy.name);
  }

  /** Checks the client's gateway session: missing → 400, unknown, expired or ended → 404 (re-initialize). */
  async checkSession(
    headers: Readonly<Record<string, string>>,
    id: string | number | null,
    owner: string,
  ): Promise<string> {
    const sessionId = this.verifySessionId(headers, id, owner);
    if (await this.deps.store.isRevoked(sessionId)) throw sessionNotFound("ended", id);
    return sessionId;
  }

  /** The client's gateway session id if it is present, well-signed and unexpired (no store lookup). */
  private verifySessionId(
    headers: Readonly<Record<string, string>>,
    id: string | number | null,
    owner: string,
  ): string {
    const sessionId = headers[SESSION_HEADER];
    if (sessionId === undefined || sessionId === "") {
      throw new GatewayError(
        JsonRpcErrorCode.InvalidRequest,
        "mcp-session-id header is required; call initialize first",
        {
          httpStatus: 400,
          id,
        },
      );
    }
    // A session belongs to the consumer that opened it: another consumer's credentials do not verify it.
    const check = this.deps.sessions.verify(sessionId, owner);
    if (!check.ok) throw sessionNotFound(check.reason === "expired" ? "expired" : UNKNOWN_SESSION, id);
    return sessionId;
  }

  private protocolVersion(headers: Readonly<Record<string, string>>, id: string | number | null): string {
    const version = headers["mcp-protocol-version"];
    if (version === undefined) return DEFAULT_NEGOTIATED_PROTOCOL_VERSION;
    if (SUPPORTED_PROTOCOL_VERSIONS.includes(version)) return version;
    throw new GatewayError(
      JsonRpcErrorCode.InvalidRequest,
      `unsupported mcp-protocol-version ${JSON.stringify(version)}; supported: ${SUPPORTED_PROTOCOL_VERSIONS.join(", ")}`,
      {
        httpStatus: 400,
        id,
      },
    );
  }

  /** True when the named server was detected as a 2026-07-28 upstream. */
  private isModernServer(server: string): boolean {
    return this.deps.generation?.(server) === "2026";
  }

  /**
   * The era of a POST by the SDK's own ladder ({@link classifyRequest}), with the parsed message. A body the legacy
   * checks refuse (size, encoding, JSON) is left to {@link decide}, which answers it exactly as before. A call's
   * `Mcp-Param-*` headers are checked against the catalog's tool schema here, for upstreams of both generations.
   */
  async classify(request: IncomingRequest): Promise<{ era: RequestEra; message?: JsonRpcMessage }> {
    let message: JsonRpcMessage;
    try {
      const body = request.body ?? Buffer.alloc(0);
      this.checkBodySize(body.length, request.caller ?? this.deps.security.anonymous());
      checkContentEncoding(request.headers);
      message = parseJsonRpc(body, this.deps.config().limits.maxJsonDepth);
    } catch {
      return { era: { era: "legacy" } };
    }
    const tools = paramHeaderSchemas(this.deps.catalog());
    return { era: await classifyRequest(request.headers, request.method, message.raw, tools), message };
  }

  /**
   * Decides a modern request the classifier admitted: a routed method whose target is a 2026 upstream goes straight
   * to it (policy, rate limit and audit as a legacy call; no session); everything else is the broker's, whose SDK
   * front end serves it (lists, discover, listen, calls bridged to 2025 upstreams, unknown names). Never throws.
   */
  async routeModern(request: IncomingRequest, message: JsonRpcMessage): Promise<PipelineOutcome> {
    return logDecision(this.deps.logger, await this.decideModern(request, message));
  }

  private async decideModern(request: IncomingRequest, message: JsonRpcMessage): Promise<PipelineOutcome> {
    const facts: RequestFacts = {};
    if (message.kind !== "request") return { kind: "broker", facts };
    facts.method = message.method;
    facts.id = message.id;
    const { method } = message;
    if (isTaskMethod(method) && this.deps.taskIds) return this.routeTask(request, { ...message, method }, facts);
    if (!MODERN_ROUTED_METHODS.has(message.method)) return { kind: "broker", facts };
    try {
      const caller = request.caller ?? this.deps.security.anonymous();
      const decision = route(message, this.deps.catalog(caller.endpoint), this.deps.config().servers);
      if (decision.kind !== "upstream" || !this.isModernServer(decision.target.server.name))
        return { kind: "broker", facts };
      facts.server = decision.target.server.name;
      facts.target = decision.named.exposed;
      const tasks = createdTasks(this.deps.taskIds, sessionOwner(caller), decision, message);
      return { kind: "upstream", call: await this.admittedModern(request, caller, decision, tasks), facts };
    } catch (error: unknown) {
      const rejected = GatewayError.from(error, message.id);
      logUnexpected(this.deps.logger, rejected, { phase: "decide" });
      return { kind: "reject", error: rejected, facts };
    }
  }

  /** A modern call past policy and rate limits: the upstream's own name in body and Mcp-Name, no session. */
  private async admittedModern(
    request: IncomingRequest,
    caller: Caller,
    decision: Extract<RouteDecision, { kind: "upstream" }>,
    tasks?: TaskReplyIds,
  ): Promise<UpstreamCall> {
    const server = servedAt(decision.target.server, caller.endpoint);
    const audit = await this.deps.security.admit(caller, { ...admissionOf(decision, ""), serverVisible: true });
    const redactor = this.deps.security.redactorFor(redactionOf(decision));
    const auth = await this.upstreamAuth(server, caller, request.headers).catch((error: unknown) => {
      audit.finish(null);
      throw error;
    });
    const call = {
      server,
      method: decision.method,
      targetName: decision.target.name,
      requestId: decision.id,
      gatewaySession: "",
      backend: MODERN_BACKEND,
      body: decision.body,
      audit,
      redactor,
      privateCache: decision.method === "resources/read" && this.deps.config().auth !== "none",
      tasks,
      upstreamAuth: auth,
    };
    return withUpstreamAuth({ ...call, ...modernCallHeaders(call, this.credentialHeaders()) }, auth);
  }

  /**
   * A `tasks/get|update|cancel` goes straight to the upstream owning the task its gateway id names (see
   * {@link taskCall}). Never throws.
   */
  private async routeTask(
    request: IncomingRequest,
    message: JsonRpcRequest & { method: TaskMethod },
    facts: RequestFacts,
  ): Promise<PipelineOutcome> {
    try {
      const caller = request.caller ?? this.deps.security.anonymous();
      const deps = {
        ...this.deps,
        codec: this.deps.taskIds as TaskIdCodec,
        credentialHeaders: this.credentialHeaders(),
        upstreamAuth: (server: ServerConfig) => this.upstreamAuth(server, caller, request.headers),
      };
      const call = await taskCall(deps, caller, message);
      facts.server = call.server.name;
      return { kind: "upstream", call, facts };
    } catch (error: unknown) {
      const rejected = GatewayError.from(error, message.id);
      logUnexpected(this.deps.logger, rejected, { phase: "decide" });
      return { kind: "reject", error: rejected, facts };
    }
  }

  /**
   * Handles an upstream's response status for a routed call: a 404 means the upstream no longer knows the backend
   * session (it restarted or expired it), so the mapping is dropped and the caller may replay the call once.
   */
  async onUpstreamStatus(call: UpstreamCall, status: number): Promise<"ok" | "session-lost"> {
    if (status !== 404 || call.backend.sessionId === "") return "ok";
    await this.deps.backendSessions.invalidate(call.gatewaySession, call.server.name, call.backend.sessionId);
    return "session-lost";
  }

  /** An upstream's 401 to `call` as the client's error naming the server (see {@link upstreamRefusal}); else undefined. */
  refusal(call: UpstreamCall, status: number, headers: Readonly<Record<string, string>>): GatewayError | undefined {
    return upstreamRefusal(call.server, status, headers, call.requestId, this.deps.credentials, call.upstreamAuth);
  }

  /**
   * Rebuilds a call after its backend session was lost: a fresh upstream session, initialized with the call's own
   * upstream credentials (per-consumer modes: the caller's, never the discovery token), same body.
   */
  async renew(call: UpstreamCall): Promise<UpstreamCall> {
    const backend = await this.deps.backendSessions.acquire(
      call.gatewaySession,
      withConsumerAuth(call.server, call.upstreamAuth ?? {}),
      call.backend.protocolVersion,
      this.deps.config().sessions.ttl,
    );
    const renewed = { ...call, backend };
    return withUpstreamAuth(
      { ...renewed, ...buildUpstreamHeaders(renewed, this.credentialHeaders()) },
      call.upstreamAuth ?? {},
    );
  }
}
