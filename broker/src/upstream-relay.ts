import {
  consumerAuth,
  replyFormat,
  withConsumerAuth,
  SseIdRewriter,
  type BackendSession,
  type GatewayContext,
  type Logger,
  type ServerConfig,
} from "@mcp-gateway/core";
import type { NotificationHub } from "./notification-hub";

// Backend sessions created by a router in another process are found by polling the shared store this often.
const RESCAN_MS = 2_000;
// How long a call that created a backend session waits for its notification stream to open.
const OPEN_WAIT_MS = 1_000;

/**
 * Relays what upstreams send on a backend session's own GET stream (messages outside any call, such as
 * `notifications/resources/updated` or a log message) to the one client whose backend session it is, on that client's
 * GET stream. A relay runs only while the client holds a GET stream; server-to-client request ids are rewritten as on
 * call streams, so the client's answers can be routed back.
 */
export class UpstreamRelay {
  private readonly listeners = new Map<string, AbortController>();
  // The bearer token of the client holding each session's GET stream (JWT callers; undefined for API keys): streams
  // to per-consumer servers are opened with its credentials. In memory only, dropped with the session's last stream.
  private readonly tokens = new Map<string, string | undefined>();
  private readonly rescan: NodeJS.Timeout;

  constructor(
    private readonly context: GatewayContext,
    private readonly hub: NotificationHub,
    private readonly logger: Logger,
  ) {
    this.rescan = setInterval(() => {
      for (const session of this.hub.sessions()) void this.watch(session);
    }, RESCAN_MS);
    this.rescan.unref();
  }

  /**
   * The client opened a GET stream, authenticated with `callerToken` (JWT callers; undefined for API keys): relays
   * its backend sessions, those of per-consumer servers with that client's own credentials.
   */
  attach(gatewaySession: string, callerToken: string | undefined): Promise<void> {
    this.tokens.set(gatewaySession, callerToken);
    return this.watch(gatewaySession);
  }

  /** Starts relaying every backend session the client has now. */
  async watch(gatewaySession: string): Promise<void> {
    for (const server of this.context.config().servers) {
      const backend = await this.context.store.get(gatewaySession, server.name).catch(() => undefined);
      if (backend) this.listen(gatewaySession, server, backend);
    }
  }

  /**
   * A backend session was just created in this process: if its client is listening, relay it, resolving once the
   * upstream stream is open (at most a second), so the call that created the session cannot outrun it.
   */
  async onBackendSession(gatewaySession: string, serverName: string, backend: BackendSession): Promise<void> {
    const server = this.context.config().servers.find((s) => s.name === serverName);
    if (!server || !this.hub.has(gatewaySession)) return;
    const opened = this.listen(gatewaySession, server, backend);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([opened, new Promise<void>((resolve) => (timer = setTimeout(resolve, OPEN_WAIT_MS)))]);
    clearTimeout(timer);
  }

  /** Stops relaying for a client (its last GET stream closed, or its session ended). */
  stop(gatewaySession: string): void {
    this.tokens.delete(gatewaySession);
    for (const [key, controller] of this.listeners) {
      if (key.endsWith(`\u0000${gatewaySession}`)) controller.abort();
    }
  }

  /** Stops everything. */
  close(): void {
    clearInterval(this.rescan);
    this.tokens.clear();
    for (const controller of this.listeners.values()) controller.abort();
  }

  /** Starts relaying one backend session; resolves when its upstream stream has answered (open or refused). */
  private listen(gatewaySession: string, server: ServerConfig, backend: BackendSession): Promise<void> {
    // A stateless upstream (no session id) has no stream of its own to relay.
    const key = `${server.name}\u0000${backend.sessionId}\u0000${gatewaySession}`;
    if (backend.sessionId === "" || this.listeners.has(key)) return Promise.resolve();
    const controller = new AbortController();
    this.listeners.set(key, controller);
    let opened!: () => void;
    const ready = new Promise<void>((resolve) => (opened = resolve));
    void this.relay(gatewaySession, server, backend, controller.signal, opened).finally(() => {
      opened();
      this.listeners.delete(key);
    });
    return ready;
  }

  private async relay(
    gatewaySession: string,
    server: ServerConfig,
    backend: BackendSession,
    signal: AbortSignal,
    opened: () => void,
  ): Promise<void> {
    try {
      // A per-consumer server's stream carries the listening client's own credentials, never the discovery token:
      // without them (an API-key client, a refused exchange) the stream is not opened.
      const auth = await consumerAuth(this.context.credentials, server, this.tokens.get(gatewaySession));
      const reply = await this.context.http.openNotifications(withConsumerAuth(server, auth), backend, signal);
      opened();
      // Read as the client reads a media type (see replyFormat); an encoded stream cannot be read at all.
      const format = replyFormat(reply.headers);
      if (reply.status !== 200 || format.kind !== "sse" || format.encoded) {
        reply.body.resume(); // 405: this upstream offers no GET stream
        return;
      }
      const rewriter = SseIdRewriter.forNotifications(server);
      for await (const chunk of reply.body as AsyncIterable<Buffer>) {
        const events = rewriter.push(chunk);
        if (events.length > 0) this.hub.sendTo(gatewaySession, events);
      }
    } catch (error: unknown) {
      if (!signal.aborted) this.logger.debug("upstream notification stream ended", { server: server.name, error });
    }
  }
}
