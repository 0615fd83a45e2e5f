import { isConflict, isNotFound, type KubeApi } from "./kube";

/** Settings of leader election on a coordination.k8s.io Lease. */
export interface LeaseSettings {
  namespace: string;
  name: string;
  /** This replica's identity (the pod name). */
  identity: string;
  /** A holder that has not renewed for this long has lost the lease. */
  durationSeconds: number;
  /** How often the holder renews and the others try to take over. */
  retryMs: number;
}

interface Lease {
  metadata: { name: string; resourceVersion?: string };
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    renewTime?: string;
    acquireTime?: string;
    leaseTransitions?: number;
  };
}

/** A Kubernetes MicroTime (RFC 3339 with microseconds). */
const microTime = (ms: number): string => new Date(ms).toISOString().replace(/Z$/, "000Z");

/**
 * Leader election the way client-go does it: the holder renews the Lease every `retryMs`; another replica takes it over
 * (an update guarded by resourceVersion) once it has seen no renewal for the lease duration.
 */
export class LeaderElector {
  private timer: NodeJS.Timeout | undefined;
  private leading = false;
  /** Whether the last attempt to acquire or renew reached a verdict (undefined before the first one ends). */
  lastAttemptOk: boolean | undefined;
  /** The other holder's record as last seen, and when this replica first saw it (its own clock, as client-go does:
   * the holder's renewTime is never compared with this clock, so clock skew between nodes does not matter). */
  private observed: { record: string; at: number } | undefined;

  constructor(
    private readonly kube: KubeApi,
    private readonly settings: LeaseSettings,
    private readonly onChange: (leading: boolean) => void,
    private readonly onError: (error: unknown) => void,
  ) {}

  private get path(): string {
    const { namespace, name } = this.settings;
    return `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${name}`;
  }

  /** Starts trying to lead; `onChange` reports gaining and losing the lease. */
  start(): void {
    const tick = (): void => {
      this.tryAcquireOrRenew()
        .then((leading) => {
          this.lastAttemptOk = true;
          this.setLeading(leading);
        })
        .catch((error: unknown) => {
          this.lastAttemptOk = false;
          this.onError(error);
          this.setLeading(false);
        })
        .finally(() => {
          if (this.timer !== undefined) this.timer = setTimeout(tick, this.settings.retryMs);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  /** Stops, handing the lease back (empty holder) when this replica holds it, so another takes over at once. */
  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.leading) return;
    this.setLeading(false);
    const lease = await this.kube.request<Lease>("GET", this.path);
    if (lease.spec?.holderIdentity !== this.settings.identity) return;
    await this.kube.request("PUT", this.path, { ...lease, spec: { ...lease.spec, holderIdentity: "" } });
  }

  private setLeading(leading: boolean): void {
    if (leading === this.leading) return;
    this.leading = leading;
    this.onChange(leading);
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = Date.now();
    const { namespace, name, identity, durationSeconds } = this.settings;
    const mine = { holderIdentity: identity, leaseDurationSeconds: durationSeconds, renewTime: microTime(now) };
    let lease: Lease;
    try {
      lease = await this.kube.request<Lease>("GET", this.path);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      const body = { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name, namespace } };
      return this.write("POST", `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases`, {
        ...body,
        spec: { ...mine, acquireTime: microTime(now), leaseTransitions: 0 },
      });
    }
    const spec = lease.spec ?? {};
    const held = spec.holderIdentity !== undefined && spec.holderIdentity !== "";
    const record = `${spec.holderIdentity ?? ""}|${spec.renewTime ?? ""}`;
    if (this.observed?.record !== record) this.observed = { record, at: now };
    const expired = now - this.observed.at > (spec.leaseDurationSeconds ?? durationSeconds) * 1000;
    if (spec.holderIdentity === identity) return this.write("PUT", this.path, { ...lease, spec: { ...spec, ...mine } });
    if (held && !expired) return false;
    const transitions = (spec.leaseTransitions ?? 0) + 1;
    return this.write("PUT", this.path, {
      ...lease,
      spec: { ...spec, ...mine, acquireTime: microTime(now), leaseTransitions: transitions },
    });
  }

  /** A write that another replica may win (409): then this one does not lead. */
  private async write(method: string, path: string, body: object): Promise<boolean> {
    try {
      await this.kube.request(method, path, body);
      return true;
    } catch (error) {
      if (isConflict(error)) return false;
      throw error;
    }
  }
}
