import { performance } from "node:perf_hooks";
import type { RequestHandler, Response } from "express";
import { AUDIT_FIELD_MAX_CHARS, AUDIT_REASON_MAX_CHARS, capText, type AuditLog } from "@mcp-gateway/core";

/** The admin API's audited actions; an event's method is `admin/<action>`. */
export type AdminAction = "register" | "rotate" | "revoke" | "update";

/** What a handler adds to its action's audit event (kept in `response.locals`). */
export interface AdminAuditNote {
  /** The consumer acted on, when the path does not name it (register). */
  consumer?: string;
  /** The policy the consumer is bound to by the action (register, update). */
  policy?: string;
  /** What changed, e.g. `policy "readers" -> "admin"`. */
  change?: string;
}

const NOTE = "adminAudit";
const ERROR = "adminError";

/**
 * Who acted, as audit events and logs name them: `admin:` and the first 12 hex digits of the admin token's hash (the
 * digits after `sha256:` in `admin.tokenHash`, or as printed by `mcp-gateway hash-key`): enough to tell tokens apart,
 * useless to authenticate; the token itself never reaches the log.
 */
export function adminActor(adminTokenHash: string): string {
  return `admin:${adminTokenHash.slice("sha256:".length, "sha256:".length + 12)}`;
}

/** Adds to the audit event of the current admin action. */
export function noteAdminAudit(response: Response, note: AdminAuditNote): void {
  response.locals[NOTE] = { ...(response.locals[NOTE] as AdminAuditNote | undefined), ...note };
}

/** Remembers the error message an admin answer carries, for the action's audit event. */
export function noteAdminError(response: Response, message: string): void {
  response.locals[ERROR] = message;
}

/**
 * Middleware recording `action` in the audit log once the answer is sent (or the client is gone): the admin's
 * identity, the consumer, the outcome (`allowed` on 2xx, `rejected` otherwise, with the error as the reason) and the
 * status in `upstreamStatus`. Failed attempts are recorded too: an investigation needs them most.
 */
export function auditAdminAction(audit: AuditLog | undefined, actor: string, action: AdminAction): RequestHandler {
  return function auditAdmin(request, response, next) {
    if (!audit) {
      next();
      return;
    }
    const time = new Date().toISOString();
    const started = performance.now();
    // Read now: Express resets `params` once the request leaves the route (an error handler, for one).
    const named = typeof request.params.name === "string" ? request.params.name : null;
    response.once("close", () => {
      const note = (response.locals[NOTE] as AdminAuditNote | undefined) ?? {};
      const status = response.headersSent ? response.statusCode : null;
      const ok = status !== null && status < 400;
      const consumer = note.consumer ?? named;
      const error = response.locals[ERROR] as string | undefined;
      const reason = ok ? (note.change ?? null) : (error ?? "no answer sent (client gone)");
      audit.record({
        time,
        actor,
        consumer: consumer === null ? null : capText(consumer, AUDIT_FIELD_MAX_CHARS),
        session: null,
        method: `admin/${action}`,
        server: null,
        target: note.policy === undefined ? null : capText(note.policy, AUDIT_FIELD_MAX_CHARS),
        argsDigest: null,
        decision: ok ? "allowed" : "rejected",
        reason: reason === null ? null : capText(reason, AUDIT_REASON_MAX_CHARS),
        upstreamStatus: status,
        latencyMs: Math.round((performance.now() - started) * 10) / 10,
        requestId: null,
      });
    });
    next();
  };
}
