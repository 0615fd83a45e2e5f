import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";
import { REPLICA_ID_RE } from "@mcp-gateway/core";

/**
 * The header a replica sets on a request it forwards to the replica holding a call: it names that replica, is signed
 * with a key derived from `sessions.secret`, and expires soon. A request carrying a valid one is never forwarded
 * again (at most one hop). Behind Envoy the router strips every client `x-mcp-*` header; at the standalone edge the
 * forwarding middleware removes it from every request and believes only a signed value.
 */
export const HOP_HEADER = "x-mcp-gateway-hop";

const VERSION = "h1";
const TAG_RE = /^[A-Za-z0-9_-]{43}$/;
/** Long enough for one forwarded request to arrive, far too short for a captured value to matter. */
const TTL_MS = 30_000;

/** Signs and checks {@link HOP_HEADER} values: `h1.<replica>.<expiry seconds>.<base64url HMAC-SHA256>`. */
export class HopMarker {
  private readonly key: Buffer;

  constructor(
    secret: string,
    private readonly now: () => number = Date.now,
  ) {
    this.key = Buffer.from(hkdfSync("sha256", secret, "mcp-gateway", "replica-hop v1", 32));
  }

  private tag(signed: string): string {
    return createHmac("sha256", this.key).update(signed, "utf8").digest("base64url");
  }

  /** The marker of a request forwarded to replica `to`. */
  sign(to: string): string {
    const signed = `${VERSION}.${to}.${Math.ceil((this.now() + TTL_MS) / 1000)}`;
    return `${signed}.${this.tag(signed)}`;
  }

  /** The replica a valid, unexpired marker names; undefined for anything else (absent, forged, expired). */
  verify(value: string | undefined): string | undefined {
    if (value === undefined || value.length > 128) return undefined;
    const parts = value.split(".");
    if (parts.length !== 4) return undefined;
    const [version = "", to = "", expiry = "", tag = ""] = parts;
    if (version !== VERSION || !REPLICA_ID_RE.test(to) || !/^[0-9]{1,12}$/.test(expiry) || !TAG_RE.test(tag)) {
      return undefined;
    }
    const expected = Buffer.from(this.tag(`${version}.${to}.${expiry}`));
    if (!timingSafeEqual(expected, Buffer.from(tag))) return undefined;
    return Number(expiry) * 1000 > this.now() ? to : undefined;
  }
}
