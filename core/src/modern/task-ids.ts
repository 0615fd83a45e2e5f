import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { decodeCanonicalBase64url } from "../base64url";
import { GatewayError, JsonRpcErrorCode, type JsonRpcId } from "../errors";
import { quoteCapped } from "../text-cap";

// Gateway task ids (MCP tasks extension, io.modelcontextprotocol/tasks, SEP-2663): the gateway hands a client its own
// id for an upstream's task, `t1.<base64url(nonce | AES-256-GCM ciphertext | tag)>`, sealing which server owns the task,
// the upstream's own task id and an optional expiry, with the consumer as additional authenticated data. So any
// replica holding `sessions.secret` routes `tasks/get|update|cancel` (and `subscriptions/listen` task ids) without a
// shared store, a client learns neither the upstream's id nor anything to vary, and an id presented with another
// consumer's credentials fails exactly like a forged one. Ids are randomized (a fresh nonce each time): a front end
// maps an upstream id back to the client's id from the request or the listen stream at hand, never by re-sealing.

const VERSION = "t1";
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const AAD_LABEL = "mcp-gateway task-id v1\u0000";

/** Longest upstream task id the gateway wraps; a longer one is the upstream's fault (502). */
export const MAX_UPSTREAM_TASK_ID_CHARS = 1024;
/** Longest exposed tool name a task id records (MCP tool names have at most 128 characters); longer: 502. */
export const MAX_TASK_TARGET_CHARS = 256;

// A plaintext is a JSON array [server, upstream task id, expiry, target]: JSON escapes take at most 6 characters per
// UTF-16 unit, so this bounds every sealed id; anything longer is refused before it is decoded.
const MAX_PLAINTEXT_BYTES = 6 * (MAX_UPSTREAM_TASK_ID_CHARS + MAX_TASK_TARGET_CHARS + 64) + 32;
/** Longest gateway task id {@link TaskIdCodec.seal} can produce (fits an `Mcp-Name` header). */
export const MAX_GATEWAY_TASK_ID_CHARS =
  VERSION.length + 1 + Math.ceil(((NONCE_BYTES + MAX_PLAINTEXT_BYTES + TAG_BYTES) * 4) / 3);

/** Whose task a gateway task id names: the consumer it was issued to, the owning server and that server's own id. */
export interface TaskOwner {
  /** The consumer the id is issued to ("" when nobody authenticates). Bound, not stored: it never appears in the id. */
  consumer: string;
  server: string;
  /** The upstream's own `taskId`. */
  taskId: string;
  /**
   * The exposed name of the tool whose call created the task: a task's result is that tool's result, so the same
   * redaction rules apply to it. Absent: the task is known by its server only.
   */
  target?: string | undefined;
}

/** Why a gateway task id was refused; to the client all are "task not found" (see {@link taskNotFound}). */
export type TaskIdRejection = "malformed" | "forged" | "expired";

/** Result of {@link TaskIdCodec.open}. */
export type TaskIdCheck =
  | { ok: true; server: string; taskId: string; expiresAtMs: number | undefined; target?: string | undefined }
  | { ok: false; reason: TaskIdRejection };

function isPlaintext(value: unknown): value is [string, string, number, string] {
  return (
    Array.isArray(value) &&
    value.length === 4 &&
    typeof value[0] === "string" &&
    typeof value[1] === "string" &&
    typeof value[2] === "number" &&
    typeof value[3] === "string"
  );
}

/**
 * Seals and opens gateway task ids. The AES key is derived from the secret once (HKDF-SHA256, its own info string, so
 * it is independent of the session-id and request-state keys), never per request.
 */
export class TaskIdCodec {
  private readonly key: Buffer;

  constructor(
    secret: string,
    private readonly now: () => number = Date.now,
  ) {
    this.key = Buffer.from(hkdfSync("sha256", secret, "mcp-gateway", "task-id v1", 32));
  }

  /**
   * The id a client gets for `owner.taskId` of `owner.server`, valid until `expiresAtMs` (the task's `ttlMs` after its
   * creation; none for a task kept indefinitely). Throws 502 (-31001) for an upstream id over
   * {@link MAX_UPSTREAM_TASK_ID_CHARS} characters or a target over {@link MAX_TASK_TARGET_CHARS}.
   */
  seal(owner: TaskOwner, expiresAtMs?: number): string {
    const target = owner.target ?? "";
    if (owner.taskId.length > MAX_UPSTREAM_TASK_ID_CHARS || target.length > MAX_TASK_TARGET_CHARS) {
      const what =
        target.length > MAX_TASK_TARGET_CHARS
          ? `a task for a tool named with over ${MAX_TASK_TARGET_CHARS} characters`
          : `a task id over ${MAX_UPSTREAM_TASK_ID_CHARS} characters`;
      throw new GatewayError(JsonRpcErrorCode.UpstreamUnavailable, `upstream "${owner.server}" returned ${what}`, {
        httpStatus: 502,
      });
    }
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.key, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(AAD_LABEL + owner.consumer, "utf8"));
    const plaintext = JSON.stringify([owner.server, owner.taskId, expiresAtMs ?? 0, target]);
    const sealed = Buffer.concat([nonce, cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
    return `${VERSION}.${sealed.toString("base64url")}`;
  }

  /**
   * The server and upstream task id a gateway task id names, if it was sealed with this secret for `consumer` and
   * has not expired. Only the canonical spelling is accepted, so one task has no second valid id.
   */
  open(id: string, consumer: string): TaskIdCheck {
    if (id.length > MAX_GATEWAY_TASK_ID_CHARS || !id.startsWith(`${VERSION}.`))
      return { ok: false, reason: "malformed" };
    const bytes = decodeCanonicalBase64url(id.slice(VERSION.length + 1));
    if (bytes === undefined || bytes.length < NONCE_BYTES + TAG_BYTES + 1) return { ok: false, reason: "malformed" };
    let plaintext: string;
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.key, bytes.subarray(0, NONCE_BYTES), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(Buffer.from(AAD_LABEL + consumer, "utf8"));
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      const body = bytes.subarray(NONCE_BYTES, bytes.length - TAG_BYTES);
      plaintext = Buffer.concat([decipher.update(body), decipher.final()]).toString("utf8");
    } catch {
      return { ok: false, reason: "forged" };
    }
    // Authenticated, so only this codec wrote it: bad JSON or shape would be a bug of ours, refused all the same.
    let value: unknown;
    try {
      value = JSON.parse(plaintext);
    } catch {
      return { ok: false, reason: "malformed" };
    }
    if (!isPlaintext(value)) return { ok: false, reason: "malformed" };
    const [server, taskId, expiry, target] = value;
    if (expiry !== 0 && expiry <= this.now()) return { ok: false, reason: "expired" };
    return {
      ok: true,
      server,
      taskId,
      expiresAtMs: expiry === 0 ? undefined : expiry,
      ...(target === "" ? {} : { target }),
    };
  }
}

/**
 * The error for a task id that does not open (unknown, another consumer's, forged, expired) or whose server is gone:
 * -32602 as the tasks extension requires, one message for every cause so it reveals nothing about other consumers.
 */
export function taskNotFound(taskId: string, id: JsonRpcId): GatewayError {
  return new GatewayError(JsonRpcErrorCode.InvalidParams, `task not found: ${quoteCapped(taskId)}`, { id });
}
