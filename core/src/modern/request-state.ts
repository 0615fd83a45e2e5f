import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { decodeCanonicalBase64url } from "../base64url";

const VERSION = "rs1";
const PREFIX = `${VERSION}.`;
const INFO = "mcp-gateway request-state v1";
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Longer tokens are refused unread: a sealed state of the gateway's own is a few hundred characters. */
const MAX_TOKEN_CHARS = 8_192;

/** What a sealed `requestState` binds: who may present it, for which request, for which held call, until when. */
export interface RequestStateClaims {
  /** The consumer the state was issued to. */
  consumer: string;
  /** The upstream server of the call. */
  server: string;
  /** The id of the held upstream call in the issuing process's registry. */
  held: string;
  /** The routed method (`tools/call`, `prompts/get`, `resources/read`). */
  method: string;
  /** The target as the client named it (exposed tool or prompt name, resource URI). */
  target: string;
  /** A digest of the request's salient params (see the bridge's paramsDigest). */
  params: string;
  /** The input round this state answers (1 for the first input_required result). */
  round: number;
  /** Expiry, milliseconds since the epoch. */
  expiresAtMs: number;
  /** The gateway replica holding the call (see broker/src/replicas); absent when sealed without one. */
  replica?: string;
}

/** What the retry that presents a state must match (the request as admitted now). */
export type RequestStateBinding = Pick<RequestStateClaims, "consumer" | "server" | "method" | "target" | "params">;

/** Why a presented state was refused. */
export type RequestStateRejection = "malformed" | "tampered" | "expired" | "other-consumer" | "other-request";

/** Result of {@link RequestStateCodec.open}. */
export type RequestStateCheck = { ok: true; claims: RequestStateClaims } | { ok: false; reason: RequestStateRejection };

type Sealed = [string, string, string, string, string, string, number, number, string];

function isSealed(value: unknown): value is Sealed {
  if (!Array.isArray(value) || value.length !== 9) return false;
  const strings = [...value.slice(0, 6), value[8]].every((item) => typeof item === "string");
  return strings && Number.isSafeInteger(value[6]) && Number.isSafeInteger(value[7]);
}

/**
 * Seals and opens the gateway's MRTR `requestState` (SEP-2322): AES-256-GCM over the claims, so a client can neither
 * read nor alter them, and any replica holding the same `sessions.secret` can check a state without a shared store.
 * The key is derived once, at construction (HKDF-SHA256, info "mcp-gateway request-state v1"), never per request. A
 * token is `rs1.` + base64url(iv ‖ ciphertext ‖ tag), accepted only in its canonical spelling.
 */
export class RequestStateCodec {
  private readonly key: Buffer;

  constructor(
    secret: string,
    private readonly now: () => number = Date.now,
  ) {
    this.key = Buffer.from(hkdfSync("sha256", secret, "mcp-gateway", INFO, 32));
  }

  /** A sealed state for `claims`, valid for `ttlMs` from now. */
  seal(claims: Omit<RequestStateClaims, "expiresAtMs">, ttlMs: number): string {
    const expiresAtMs = this.now() + ttlMs;
    const payload: Sealed = [
      claims.consumer,
      claims.server,
      claims.held,
      claims.method,
      claims.target,
      claims.params,
      claims.round,
      expiresAtMs,
      claims.replica ?? "",
    ];
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(VERSION));
    const body = Buffer.concat([cipher.update(JSON.stringify(payload), "utf8"), cipher.final()]);
    return PREFIX + Buffer.concat([iv, body, cipher.getAuthTag()]).toString("base64url");
  }

  /**
   * Opens a state presented by a client and checks it against the request presenting it: integrity first (any
   * altered byte fails), then expiry, then the consumer, then the request (server, method, target, params digest).
   */
  open(token: string, binding: RequestStateBinding): RequestStateCheck {
    const claims = this.decrypt(token);
    if (typeof claims === "string") return { ok: false, reason: claims };
    if (claims.expiresAtMs <= this.now()) return { ok: false, reason: "expired" };
    if (claims.consumer !== binding.consumer) return { ok: false, reason: "other-consumer" };
    const same =
      claims.server === binding.server &&
      claims.method === binding.method &&
      claims.target === binding.target &&
      claims.params === binding.params;
    return same ? { ok: true, claims } : { ok: false, reason: "other-request" };
  }

  /**
   * The replica holding the call of an authentic, unexpired state, before any check against the request presenting
   * it (which the holder makes): where a retry must go. Undefined for any other token, or one sealed without a replica.
   */
  holder(token: string): string | undefined {
    const claims = this.decrypt(token);
    if (typeof claims === "string" || claims.expiresAtMs <= this.now()) return undefined;
    return claims.replica;
  }

  private decrypt(token: string): RequestStateClaims | "malformed" | "tampered" {
    if (token.length > MAX_TOKEN_CHARS || !token.startsWith(PREFIX)) return "malformed";
    const bytes = decodeCanonicalBase64url(token.slice(PREFIX.length));
    if (bytes === undefined || bytes.length <= IV_BYTES + TAG_BYTES) return "malformed";
    let plain: string;
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.key, bytes.subarray(0, IV_BYTES), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(Buffer.from(VERSION));
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      plain = Buffer.concat([
        decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)),
        decipher.final(),
      ]).toString("utf8");
    } catch {
      return "tampered";
    }
    let payload: unknown;
    try {
      payload = JSON.parse(plain);
    } catch {
      return "malformed";
    }
    // Only the gateway can produce an authentic payload, so a wrong shape means a bug or a key reused elsewhere.
    if (!isSealed(payload)) return "malformed";
    const [consumer, server, held, method, target, params, round, expiresAtMs, replica] = payload;
    const claims = { consumer, server, held, method, target, params, round, expiresAtMs };
    return replica === "" ? claims : { ...claims, replica };
  }
}
