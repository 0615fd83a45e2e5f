import {
  Client,
  SdkError,
  SdkErrorCode,
  SdkHttpError,
  StreamableHTTPClientTransport,
  type DiscoverResult,
  type McpSubscription,
} from "@modelcontextprotocol/client";
import { pageSchema } from "./listing";
import type { ListMethod, SessionTarget, UpstreamSession } from "./upstream-session";
import { authedFetchOption } from "../upstream-auth/authed-fetch";

/** The 2026 revision the gateway speaks to upstreams. */
export const MODERN_PROTOCOL_VERSION = "2026-07-28";

/**
 * True when a failed `server/discover` probe says "this is not a 2026 upstream" (it answered, but not with a 2026
 * advertisement: -32601, a 400 for the missing session, a 404), as opposed to an outage or an auth wall, which keep
 * the upstream unhealthy instead of misfiling it as a 2025 one. The SDK draws that line (docs/protocol-versions.md).
 */
function saysLegacy(error: unknown): boolean {
  if (!(error instanceof SdkError) || error.code !== SdkErrorCode.EraNegotiationFailed) return false;
  return !(error instanceof SdkHttpError) || error.status < 500;
}

/**
 * A 2026-07-28 upstream over the SDK v2 client pinned to that revision: no initialize and no session; the SDK sends
 * the `_meta` envelope and the standard headers on every request. Change notifications come on a
 * `subscriptions/listen` stream the gateway opens when the upstream offers one.
 */
export class ModernSession implements UpstreamSession {
  readonly generation = "2026";
  readonly protocolVersion = MODERN_PROTOCOL_VERSION;
  private subscription: McpSubscription | undefined;
  /** Set when the listen stream ended other than by our own close. */
  private streamLost = false;

  private constructor(private readonly client: Client) {}

  /**
   * Probes the upstream with `server/discover` (the detection is the transport's answer, not a version string the
   * upstream claims elsewhere): a 2026 upstream gives a session, anything that answers otherwise gives undefined
   * (use the 2025 path), an outage or auth failure throws.
   */
  static async probe(target: SessionTarget): Promise<ModernSession | undefined> {
    const client = new Client(target.clientInfo, {
      versionNegotiation: { mode: { pin: MODERN_PROTOCOL_VERSION }, probe: { timeoutMs: target.timeoutMs } },
    });
    client.onerror = () => undefined;
    const transport = new StreamableHTTPClientTransport(new URL(target.server.url), {
      requestInit: { headers: { ...target.server.headers } },
      ...authedFetchOption(target.credentials, target.server, "discovery"),
    });
    try {
      await client.connect(transport, { timeout: target.timeoutMs });
      return new ModernSession(client);
    } catch (error: unknown) {
      await client.close().catch(() => undefined);
      if (saysLegacy(error)) return undefined;
      throw error;
    }
  }

  /** The upstream's server/discover advertisement (what a per-call client adopts instead of probing again). */
  discoverResult(): DiscoverResult | undefined {
    return this.client.getDiscoverResult();
  }

  offers(kind: "tools" | "prompts" | "resources"): boolean {
    return Boolean(this.client.getServerCapabilities()?.[kind]);
  }

  offersResourceSubscriptions(): boolean {
    return this.client.getServerCapabilities()?.resources?.subscribe === true;
  }

  async page(method: ListMethod, cursor: string | undefined, timeoutMs: number): Promise<Record<string, unknown>> {
    const params = cursor === undefined ? {} : { cursor };
    // The raw page (not listTools): the gateway validates each tool itself (naming what it drops) and reads the
    // page's cache hints.
    return this.client.request({ method, params }, pageSchema, { timeout: timeoutMs });
  }

  async watch(onChange: () => void): Promise<void> {
    const capabilities = this.client.getServerCapabilities() ?? {};
    const filter = {
      ...(capabilities.tools?.listChanged === true && { toolsListChanged: true }),
      ...(capabilities.prompts?.listChanged === true && { promptsListChanged: true }),
      ...(capabilities.resources?.listChanged === true && { resourcesListChanged: true }),
    };
    if (Object.keys(filter).length === 0) return;
    this.client.setNotificationHandler("notifications/tools/list_changed", onChange);
    this.client.setNotificationHandler("notifications/prompts/list_changed", onChange);
    this.client.setNotificationHandler("notifications/resources/list_changed", onChange);
    this.subscription = await this.client.listen(filter);
    void this.subscription.closed.then((reason) => {
      if (reason !== "local") this.streamLost = true;
    });
  }

  async check(timeoutMs: number): Promise<void> {
    await this.client.discover({ timeout: timeoutMs });
    // A lost listen stream would hide changes: failing the check reconnects, which lists and listens again.
    if (this.streamLost) throw new Error("the upstream closed its subscriptions/listen stream");
  }

  async close(): Promise<void> {
    await this.subscription?.close().catch(() => undefined);
    await this.client.close().catch(() => undefined);
  }
}
