import type { Logger } from "@mcp-gateway/core";
import type { KubeApi } from "./kube";
import { LeaderElector, type LeaseSettings } from "./lease";
import { reconcile, type ReconcileResult, type ReconcileSettings } from "./reconcile";
import { GROUP, VERSION } from "./api-types";
import type { Readiness } from "./health";

/** The collection watched only when its API exists: without the Gateway API CRDs there is nothing to watch. */
const OPTIONAL_WATCH = "/httproutes";

/** Settings of a running controller. */
export interface ControllerSettings extends ReconcileSettings {
  lease: LeaseSettings;
  /** A pass this often even without watch events (the gateway's /status changes without any). */
  resyncMs: number;
  /** Back-off after a failed pass: doubling from min to max. */
  backoff: { minMs: number; maxMs: number };
}

/**
 * The discovery controller: while it holds the Lease, watches MCPServers, Services, Secrets and HTTPRoutes of its
 * namespace and runs a {@link reconcile} pass after each change (coalesced), on a resync timer, and after failures
 * with exponential back-off.
 */
export class Controller {
  private readonly elector: LeaderElector;
  private watches: { abort(): void }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private again = false;
  private failures = 0;
  private leading = false;
  /** Leadership terms: a watch or pass of an earlier term never counts toward this one's readiness. */
  private term = 0;
  /** The watches of this term that are established (or optional and absent), and the collections watched. */
  private synced = new Set<string>();
  private watched: string[] = [];
  /** Whether a pass that began after every watch was established has succeeded in this term. */
  private caughtUp = false;

  constructor(
    private readonly kube: KubeApi,
    private readonly settings: ControllerSettings,
    private readonly log: Logger,
  ) {
    this.elector = new LeaderElector(
      kube,
      settings.lease,
      (leading) => void this.onLeadership(leading),
      (error) => log.warn("controller: leader election failed", { err: (error as Error).message }),
    );
  }

  /** Starts leader election; the work starts once this replica leads. */
  start(): void {
    this.elector.start();
  }

  /** Stops working and hands the Lease back. */
  async stop(): Promise<void> {
    this.stopWork();
    await this.elector.stop();
  }

  /**
   * Readiness (/readyz): a standby is ready while its last Lease attempt reached the API server (it can take over); the
   * leader once its watches of every collection are established and a full pass begun after that succeeded (the
   * informers' "synced"), and from then on for the rest of its term (a watch that ends is re-established in the
   * background, a failing pass is retried with back-off, as client-go's HasSynced stays true).
   */
  readiness(): Readiness {
    if (!this.leading) {
      const ok = this.elector.lastAttemptOk === true;
      const reason = ok ? "standby: the Lease is reachable" : "standby: no Lease attempt has succeeded yet";
      return { ready: ok, role: "standby", reason };
    }
    if (this.caughtUp) return { ready: true, role: "leader", reason: "leader: watches synced" };
    const waiting = this.watched.filter((path) => !this.synced.has(path));
    const reason = waiting.length
      ? `leader: waiting for the watch of ${waiting.join(", ")}`
      : "leader: waiting for the first full pass";
    return { ready: false, role: "leader", reason };
  }

  private async onLeadership(leading: boolean): Promise<void> {
    this.leading = leading;
    this.term += 1;
    this.synced = new Set();
    this.caughtUp = false;
    this.log.info(leading ? "controller: leading" : "controller: not leading", {
      identity: this.settings.lease.identity,
      leading,
    });
    if (!leading) return this.stopWork();
    const ns = this.settings.namespace;
    const paths = [
      `/apis/${GROUP}/${VERSION}/namespaces/${ns}/mcpservers`,
      `/api/v1/namespaces/${ns}/services`,
      `/api/v1/namespaces/${ns}/secrets`,
      `/apis/gateway.networking.k8s.io/v1/namespaces/${ns}/httproutes`,
    ];
    this.watched = paths;
    for (const path of paths) void this.watch(path, this.term);
    this.schedule(0);
  }

  private stopWork(): void {
    for (const watch of this.watches) watch.abort();
    this.watches = [];
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Watches a collection, restarting after it ends while leading; every event schedules a pass. */
  private async watch(path: string, term: number): Promise<void> {
    let ended: { error: unknown } | undefined;
    const restart = (error: unknown): void => {
      ended ??= { error };
      if (!this.leading || term !== this.term) return;
      if (error) this.log.warn("controller: watch ended", { path, err: (error as Error).message });
      setTimeout(() => void this.watch(path, term), error ? 2_000 : 0).unref();
    };
    try {
      this.watches.push(await this.kube.watch(path, () => this.schedule(100), restart));
    } catch (error) {
      restart(error); // e.g. the Gateway API CRDs are not installed (yet)
    }
    const absent = path.endsWith(OPTIONAL_WATCH) && (ended?.error as { statusCode?: number })?.statusCode === 404;
    if (term === this.term && (!ended || absent)) this.markSynced(path);
  }

  /** Counts a watch as established; once all are, a pass follows (its success makes the leader ready). */
  private markSynced(path: string): void {
    if (this.synced.has(path)) return;
    this.synced.add(path);
    if (this.synced.size === this.watched.length) this.schedule(0);
  }

  /** Schedules a pass in `delayMs` (an earlier scheduled one wins); a pass already running is followed by another. */
  private schedule(delayMs: number): void {
    if (!this.leading) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.pass(), delayMs);
  }

  private async pass(): Promise<void> {
    this.running = true;
    const term = this.term;
    const afterSync = this.synced.size === this.watched.length;
    let next = this.settings.resyncMs;
    try {
      const result: ReconcileResult = await reconcile(this.kube, this.settings);
      this.failures = 0;
      if (afterSync && term === this.term) this.caughtUp = true;
      if (result.configChanged) this.log.info("controller: gateway config written", { servers: result.accepted });
      for (const r of result.rejected) this.log.warn("controller: MCPServer not accepted", r);
    } catch (error) {
      this.failures += 1;
      const { minMs, maxMs } = this.settings.backoff;
      next = Math.min(maxMs, minMs * 2 ** (this.failures - 1));
      this.log.error("controller: reconcile failed", { err: (error as Error).message, retryInMs: next });
    } finally {
      this.running = false;
    }
    if (this.again) {
      this.again = false;
      next = Math.min(next, 100);
    }
    this.schedule(next);
  }
}
