import type { Grant } from "./token-endpoint";

/** Bounds of a {@link CachedToken}'s refresh. */
export interface RefreshOptions {
  /** Refresh this long before expiry; capped at half the token's lifetime, so short-lived tokens still get used. */
  skewMs: number;
  /** First wait after a failed fetch; doubles up to {@link maxBackoffMs}. */
  backoffMs?: number;
  maxBackoffMs?: number;
  now?: () => number;
}

// A token this close to expiry is not sent: it could expire on the way.
const MIN_REMAINING_MS = 1_000;

/**
 * One access token kept fresh: fetched on first use, refreshed in the background once inside the skew (callers keep
 * the current token meanwhile), one fetch at a time however many callers wait (single flight), and after a failure
 * no new fetch before a doubling back-off ends; the failure is rethrown to callers that have no usable token.
 */
export class CachedToken {
  private grant: Grant | undefined;
  private issuedAt = 0;
  private inFlight: Promise<Grant> | undefined;
  private failure: { error: unknown; retryAt: number; backoffMs: number } | undefined;
  private readonly now: () => number;

  constructor(
    private readonly fetch: () => Promise<Grant>,
    private readonly options: RefreshOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** A usable access token, fetching one when there is none (or it expires within a second). */
  async get(): Promise<string> {
    const now = this.now();
    const grant = this.grant;
    if (grant && grant.expiresAt - now > MIN_REMAINING_MS) {
      if (now >= this.refreshAt(grant)) this.refresh().catch(() => undefined);
      return grant.accessToken;
    }
    return (await this.refresh()).accessToken;
  }

  /** When the token expires (ms since the epoch), if one is held. */
  get expiresAt(): number | undefined {
    return this.grant?.expiresAt;
  }

  /** Forgets the token (the upstream refused it): the next {@link get} fetches a new one. */
  invalidate(): void {
    this.grant = undefined;
  }

  /** True when `accessToken` is the token held now (the one a refused request carried, not a newer one). */
  holds(accessToken: string): boolean {
    return this.grant !== undefined && this.grant.accessToken === accessToken;
  }

  private refreshAt(grant: Grant): number {
    const lifetime = grant.expiresAt - this.issuedAt;
    return grant.expiresAt - Math.min(this.options.skewMs, lifetime / 2);
  }

  private refresh(): Promise<Grant> {
    if (this.inFlight) return this.inFlight;
    const failure = this.failure;
    if (failure && this.now() < failure.retryAt) return Promise.reject(failure.error);
    const started = this.now();
    this.inFlight = this.fetch().then(
      (grant) => {
        this.grant = grant;
        this.issuedAt = started;
        this.failure = undefined;
        this.inFlight = undefined;
        return grant;
      },
      (error: unknown) => {
        const base = this.options.backoffMs ?? 1_000;
        const backoffMs = failure ? Math.min(failure.backoffMs * 2, this.options.maxBackoffMs ?? 60_000) : base;
        this.failure = { error, retryAt: this.now() + backoffMs, backoffMs };
        this.inFlight = undefined;
        throw error;
      },
    );
    return this.inFlight;
  }
}
