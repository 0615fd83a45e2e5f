import { AGGREGATE_PATH } from "../endpoints/endpoints";
import {
  AUDIT_FIELD_MAX_CHARS,
  AUDIT_REASON_MAX_CHARS,
  type AuditDecision,
  type AuditEvent,
  type AuditOutcome,
  type AuditHasher,
  type AuditLog,
} from "../audit";
import type { ClientInfo } from "../audit/client-info";
import { capText } from "../text-cap";
import type { Caller } from "./admission";

/** Methods whose every call is on record (denials of any routed method are recorded too). */
export const AUDITED_METHODS: ReadonlySet<string> = new Set(["tools/call", "prompts/get", "resources/read"]);

/** What an audit event says about the call itself. */
export interface AuditSubject {
  method: string;
  server: string | null;
  target: string | null;
  args: unknown;
  session: string | null;
  id: string | number | null;
  /** Who sent it, when no caller says so (a request refused before authentication). */
  client?: ClientInfo | undefined;
}

/** Builds audit events; one per call and denial, written asynchronously by the {@link AuditLog}. */
export class Auditor {
  constructor(
    private readonly log: AuditLog,
    private readonly hasher: AuditHasher,
  ) {}

  /** Records a decision taken before any upstream was involved (denial, rejection). */
  decided(caller: Caller | undefined, subject: AuditSubject, decision: AuditDecision, reason: string): void {
    this.log.record(this.event(caller, subject, decision, reason, {}, Date.now()));
  }

  /** Counts a refusal left off the record because its consumer's refusal budget is spent. */
  suppressed(): void {
    this.log.suppress();
  }

  /** Starts an allowed call's event; it is recorded when the upstream's status is known. */
  start(caller: Caller, subject: AuditSubject): AuditTicket {
    const started = Date.now();
    const startedHr = performance.now();
    let done = false;
    return {
      finish: (status, outcome) => {
        if (done) return;
        done = true;
        const latencyMs = Math.round((performance.now() - startedHr) * 10) / 10;
        const end = { upstreamStatus: status, latencyMs, outcome: outcome ?? null };
        this.log.record(this.event(caller, subject, "allowed", null, end, started));
      },
    };
  }

  private event(
    caller: Caller | undefined,
    subject: AuditSubject,
    decision: AuditDecision,
    reason: string | null,
    end: { upstreamStatus?: number | null; latencyMs?: number | null; outcome?: AuditOutcome | null },
    started: number,
  ): AuditEvent {
    const client = subject.client ?? caller?.client;
    // Every field a client chooses is capped: a 500 KB tool name or id must not make a 500 KB audit line.
    const cap = (value: string | null): string | null =>
      value === null ? null : capText(value, AUDIT_FIELD_MAX_CHARS);
    return {
      time: new Date(started).toISOString(),
      consumer: cap(caller?.identity.consumer ?? null),
      session: subject.session ? this.hasher.session(subject.session) : null,
      method: cap(subject.method) ?? "",
      server: cap(subject.server),
      target: cap(subject.target),
      argsDigest:
        subject.method === "tools/call" || subject.method === "prompts/get" ? this.hasher.args(subject.args) : null,
      decision,
      reason: reason === null ? null : capText(reason, AUDIT_REASON_MAX_CHARS),
      upstreamStatus: end.upstreamStatus ?? null,
      latencyMs: end.latencyMs ?? null,
      requestId: cap(subject.id === null ? null : String(subject.id)),
      clientAddress: client?.address ?? null,
      userAgent: client?.userAgent ?? null,
      outcome: end.outcome ?? null,
      endpoint: caller?.endpoint?.path ?? AGGREGATE_PATH,
    };
  }
}

/**
 * An allowed call's pending audit event: `finish` records it once (later calls are ignored), when the reply has ended
 * (its latency runs to that moment).
 */
export interface AuditTicket {
  /** The upstream's HTTP status, or null when no response came (failure, client gone); how the call ended if read. */
  finish(upstreamStatus: number | null, outcome?: AuditOutcome | null): void;
}

/** A ticket that records nothing (audit off, or a method that is not audited). */
export const NO_AUDIT: AuditTicket = { finish: () => undefined };
