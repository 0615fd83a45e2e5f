import { followAuditTail, type TailFilter, type TailHandlers } from "./audit-tail";

/** A consumer as the admin API lists it (broker/src/admin/consumer-view.ts). */
export interface ConsumerView {
  name: string;
  policy: string;
  source: "store" | "config";
  readOnly: boolean;
  createdAt: string | null;
  rotatedAt: string | null;
  revokedAt: string | null;
}

/** An admin API refusal: its HTTP status and the API's own message. */
export class AdminApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "AdminApiError";
  }
}

/**
 * The admin API on this origin (the console served by the admin listener, admin.listen), the token in the
 * Authorization header of each request; never in a URL, a cookie or storage.
 */
export class AdminApi {
  constructor(private readonly token: string) {}

  private async call<T>(method: string, path: string, body?: object): Promise<T> {
    const response = await fetch(path, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body ? { "content-type": "application/json" } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
      cache: "no-store",
      credentials: "omit",
    });
    const text = await response.text();
    if (!response.ok) throw new AdminApiError(response.status, errorMessage(response.status, text));
    return JSON.parse(text) as T;
  }

  /** Every consumer: from the config (read-only) and from the admin API's store. */
  async consumers(): Promise<ConsumerView[]> {
    return (await this.call<{ consumers: ConsumerView[] }>("GET", "/consumers")).consumers;
  }

  /** Registers a consumer; the answer carries its API key, shown once. */
  register(name: string, policy: string): Promise<{ name: string; apiKey: string }> {
    return this.call("POST", "/consumers", { name, policy });
  }

  /** A new key for a stored consumer (the old one stops working). */
  rotate(name: string): Promise<{ name: string; apiKey: string }> {
    return this.call("POST", `/consumers/${encodeURIComponent(name)}/rotate`, {});
  }

  /** Revokes a stored consumer's key. */
  revoke(name: string): Promise<ConsumerView> {
    return this.call("DELETE", `/consumers/${encodeURIComponent(name)}`, {});
  }

  /** Follows the live audit tail (`/audit/stream`) until `signal` aborts or the stream ends. */
  tail(filter: TailFilter, handlers: TailHandlers, signal: AbortSignal): Promise<void> {
    return followAuditTail(this.token, filter, handlers, signal);
  }

  /** Moves a stored consumer to another policy. */
  setPolicy(name: string, policy: string): Promise<ConsumerView> {
    return this.call("PATCH", `/consumers/${encodeURIComponent(name)}`, { policy });
  }
}

function errorMessage(status: number, text: string): string {
  if (status === 404 && text.includes("no endpoint"))
    return "no admin API at this address: open the console on the admin listener (admin.listen)/ui";
  try {
    const body = JSON.parse(text) as { error?: unknown };
    return typeof body.error === "string" ? body.error : text;
  } catch {
    return text;
  }
}

/** The gateway's /status on this origin (served on the standalone gateway's port), or why it is not here. */
export async function fetchStatus(): Promise<{ ok: true; status: unknown } | { ok: false; reason: string }> {
  const response = await fetch("/status", { cache: "no-store", credentials: "omit" });
  if (!response.ok)
    return { ok: false, reason: `HTTP ${response.status}: /status is served on the gateway's (or broker's) own port` };
  return { ok: true, status: await response.json() };
}
