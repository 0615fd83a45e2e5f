import type { GatewayConfig } from "../config/schema";
import { GatewayError, JsonRpcErrorCode } from "../errors";

const LOOPBACK_HOSTS = ["localhost", "127.0.0.1", "[::1]", "::1"];

/** Splits a Host header value into its host name (lower case, IPv6 in brackets) and the whole value. */
function hostName(host: string): string {
  const value = host.trim().toLowerCase();
  if (value.startsWith("[")) return value.slice(0, value.indexOf("]") + 1);
  const colon = value.lastIndexOf(":");
  return colon >= 0 && value.indexOf(":") === colon ? value.slice(0, colon) : value;
}

function isLoopback(listen: string): boolean {
  return LOOPBACK_HOSTS.includes(hostName(listen)) || hostName(listen).startsWith("127.");
}

function forbidden(message: string): GatewayError {
  return new GatewayError(JsonRpcErrorCode.Forbidden, message, { httpStatus: 403 });
}

/**
 * DNS-rebinding protection (MCP Streamable HTTP security guidance): a request's Host must be one the gateway is
 * reached by, and a browser's Origin must be allowed. Hosts come from `security.allowedHosts`; without it, a gateway
 * whose public listener is on loopback accepts only loopback names, and one behind Envoy (whose public name it cannot
 * know) checks nothing and says so at start. Origins come from `security.allowedOrigins`, else an Origin must name an
 * allowed host.
 */
export class HostGuard {
  private readonly hosts: ReadonlySet<string> | "any";
  private readonly origins: ReadonlySet<string> | undefined;

  constructor(config: GatewayConfig, publicListen: string | undefined) {
    const configured = config.security.allowedHosts;
    if (configured) this.hosts = new Set(configured.map((h) => h.toLowerCase()));
    else if (publicListen !== undefined && isLoopback(publicListen)) this.hosts = new Set(LOOPBACK_HOSTS);
    else this.hosts = "any";
    this.origins = config.security.allowedOrigins
      ? new Set(config.security.allowedOrigins.map((o) => new URL(o).origin))
      : undefined;
  }

  /** False when no Host check applies (log a warning at start). */
  get checksHosts(): boolean {
    return this.hosts !== "any";
  }

  /** A 403 error when Host or Origin is not allowed, else undefined. Headers have lower-case names. */
  check(headers: Readonly<Record<string, string>>): GatewayError | undefined {
    const host = headers["host"] ?? headers[":authority"];
    if (this.hosts !== "any") {
      if (host === undefined || !this.allowsHost(host))
        return forbidden(`Host ${JSON.stringify(host ?? "")} is not allowed (DNS rebinding protection)`);
    }
    const origin = headers["origin"];
    if (origin === undefined || this.allowsOrigin(origin)) return undefined;
    return forbidden(`Origin ${JSON.stringify(origin)} is not allowed`);
  }

  private allowsHost(host: string): boolean {
    if (this.hosts === "any") return true;
    return this.hosts.has(host.trim().toLowerCase()) || this.hosts.has(hostName(host));
  }

  private allowsOrigin(origin: string): boolean {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false;
    }
    if (this.origins) return this.origins.has(url.origin);
    return this.allowsHost(url.host);
  }
}
