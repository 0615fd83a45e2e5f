import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
  ToolListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { pageSchema } from "./listing";
import type { ListMethod, SessionTarget, UpstreamSession } from "./upstream-session";
import { authedFetch } from "../upstream-auth/authed-fetch";
import { endingLateSessions } from "./late-initialize";

/**
 * A 2025-generation upstream over SDK v1 (initialize, session, GET notification stream): the path the gateway has
 * always taken, kept on v1 because it is proven against every 2025 server the tests run and v2 would change nothing
 * on that wire.
 */
export class LegacySession implements UpstreamSession {
  readonly generation = "2025";

  private constructor(
    private readonly client: Client,
    private readonly transport: StreamableHTTPClientTransport,
  ) {}

  /** Opens the session; `onOpened` receives the client before initialize, so a close can end what it opened. */
  static async open(target: SessionTarget, onOpened: (close: (timeoutMs: number) => Promise<void>) => void) {
    const client = new Client(target.clientInfo, { capabilities: {} });
    const transport = new StreamableHTTPClientTransport(new URL(target.server.url), {
      requestInit: { headers: { ...target.server.headers } },
      // A timed-out initialize may have opened a session upstream: its late answer is read and that session ended.
      fetch: endingLateSessions(authedFetch(target.credentials, target.server, "discovery") ?? fetch, target.timeoutMs),
      reconnectionOptions: {
        maxRetries: 0,
        initialReconnectionDelay: 1000,
        maxReconnectionDelay: 1000,
        reconnectionDelayGrowFactor: 1,
      },
    });
    client.onerror = () => undefined;
    const session = new LegacySession(client, transport);
    onOpened((timeoutMs) => session.close(timeoutMs));
    await client.connect(transport, { timeout: target.timeoutMs });
    return session;
  }

  get protocolVersion(): string | undefined {
    return this.transport.protocolVersion;
  }

  offers(kind: "tools" | "prompts" | "resources"): boolean {
    return Boolean(this.client.getServerCapabilities()?.[kind]);
  }

  offersResourceSubscriptions(): boolean {
    return this.client.getServerCapabilities()?.resources?.subscribe === true;
  }

  page(method: ListMethod, cursor: string | undefined, timeoutMs: number): Promise<Record<string, unknown>> {
    const params = cursor === undefined ? {} : { cursor };
    return this.client.request({ method, params }, pageSchema, { timeout: timeoutMs });
  }

  watch(onChange: () => void): Promise<void> {
    this.client.setNotificationHandler(ToolListChangedNotificationSchema, onChange);
    this.client.setNotificationHandler(PromptListChangedNotificationSchema, onChange);
    this.client.setNotificationHandler(ResourceListChangedNotificationSchema, onChange);
    return Promise.resolve();
  }

  async check(timeoutMs: number): Promise<void> {
    await this.client.ping({ timeout: timeoutMs });
  }

  /**
   * Ends the upstream session (DELETE) and closes the client. Also after a failure: an upstream that is up but was
   * judged invalid, or answered a ping too late, would otherwise keep one abandoned session per retry. The DELETE is
   * bounded by `timeoutMs` (then `client.close()` aborts it), so a hung upstream cannot stall close or reload.
   */
  async close(timeoutMs: number): Promise<void> {
    if (this.transport.sessionId) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
      // A dead or hung upstream fails or never answers the DELETE; there is nothing left to release then.
      await Promise.race([this.transport.terminateSession().catch(() => undefined), timedOut]);
      clearTimeout(timer);
    }
    await this.client.close().catch(() => undefined);
  }
}
