export * from "./audit-event";
export * from "./audit-log";
export * from "./audit-tap";
export * from "./json-lines-sink";
export * from "./open-audit-log";
export * from "./postgres-sink";
export type { AuditSinkStats } from "./sink-channel";
export * from "./client-info";
export * from "./reply-outcome";
