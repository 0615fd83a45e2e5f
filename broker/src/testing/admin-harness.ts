import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AuditLog,
  AuditTap,
  ConsumerRegistry,
  createLogger,
  FileConsumerStore,
  hashApiKey,
  type AuditEvent,
} from "@mcp-gateway/core";
import { createAdminApp } from "../admin/admin-app";

/** The admin token of the harness. */
export const HARNESS_ADMIN_TOKEN = "admin-token-for-tests-0123456789";

/** The config's own consumer in the harness: listed read-only, never changed through the API. */
export const HARNESS_CONFIG_CONSUMERS = [{ name: "ops", policy: "admin", keyHash: hashApiKey("config-key-of-ops") }];

/** One answer of the admin app, its body parsed. */
export interface AdminCall {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/** A running admin app over a file store, with policies `default` and `admin` and an in-memory audit log. */
export interface AdminHarness {
  base: string;
  registry: ConsumerRegistry;
  audit: AuditLog;
  /** The audit log's live tail (at most two tails), served as `/audit/stream`. */
  auditTap: AuditTap;
  /** What the audit log wrote (after `audit.flush()`). */
  audited: AuditEvent[];
  call(method: string, path: string, body?: unknown): Promise<AdminCall>;
  /** Registers a consumer (expecting 201) and returns its API key. */
  register(name?: string, policy?: string): Promise<string>;
  close(): Promise<void>;
}

/** Starts an {@link AdminHarness} on a free port of 127.0.0.1. */
export async function startAdminHarness(): Promise<AdminHarness> {
  const directory = await mkdtemp(join(tmpdir(), "admin-harness-"));
  const store = await FileConsumerStore.open(join(directory, "consumers.json"));
  const registry = new ConsumerRegistry(store, {
    policyExists: (name) => name === "default" || name === "admin",
    configConsumers: () => HARNESS_CONFIG_CONSUMERS,
  });
  const audited: AuditEvent[] = [];
  const sink = {
    name: "memory",
    write: (batch: readonly AuditEvent[]) => Promise.resolve(void audited.push(...batch)),
  };
  const auditTap = new AuditTap(2);
  const audit = new AuditLog([{ ...sink, close: () => Promise.resolve() }, auditTap], { flushIntervalMs: 0 });
  const logger = createLogger({ level: "error", sink: { write: () => undefined } });
  const adminTokenHash = hashApiKey(HARNESS_ADMIN_TOKEN);
  const app = createAdminApp({ registry, adminTokenHash, logger, audit, auditTap });
  const server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, "127.0.0.1", () => resolve(listening));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const call = async (method: string, path: string, body?: unknown): Promise<AdminCall> => {
    const headers: Record<string, string> = { authorization: `Bearer ${HARNESS_ADMIN_TOKEN}` };
    if (body !== undefined) headers["content-type"] = "application/json";
    const text = body === undefined || typeof body === "string" ? body : JSON.stringify(body);
    const response = await fetch(`${base}${path}`, { method, headers, body: text });
    const answer = await response.text();
    const parsed = answer ? (JSON.parse(answer) as Record<string, unknown>) : {};
    return { status: response.status, headers: response.headers, body: parsed };
  };
  return {
    base,
    registry,
    audit,
    auditTap,
    audited,
    call,
    async register(name = "alice", policy = "default") {
      const created = await call("POST", "/consumers", { name, policy });
      if (created.status !== 201)
        throw new Error(`register ${name}: ${created.status} ${JSON.stringify(created.body)}`);
      return String(created.body.apiKey);
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections(); // live audit tails never end by themselves
      await closed;
      await audit.close();
      await store.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
