import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { REPO_ROOT, startExampleServer, type RunningProcess } from "@mcp-gateway/example-kit";
import { DEMO_KEYS, startServerEverything } from "@mcp-gateway/local-stack";
import { parse, stringify } from "yaml";
import { freePort } from "../support/redis-server";
import { startGatewayStack, type GatewayStack, type StackMode } from "./gateway-stack";

/** A gateway stack running examples/gateway.yaml's consumers, policies and sanitize rules, auditing to a file. */
export interface SecureStack {
  stack: GatewayStack;
  auditPath: string;
  /** Bearer headers of the example config's demo consumers. */
  as: Record<keyof typeof DEMO_KEYS, Record<string, string>>;
  /** The audit events written so far (JSON lines). */
  auditEvents(): Promise<Record<string, unknown>[]>;
  /** Stops every process (the gateway flushes its audit log on SIGTERM); the audit file stays readable. */
  stop(): Promise<void>;
  /** Removes the audit directory. */
  remove(): Promise<void>;
}

/**
 * A credential the stack's config gives the `everything` upstream (`servers[].headers`): it must reach that upstream
 * and nothing else, never a client.
 */
export const UPSTREAM_CREDENTIAL = "e2e-upstream-credential-7f3a9c";

/** Origin the CORS tests use: allowed by the stack's `security.allowedOrigins`. */
export const ALLOWED_ORIGIN = "http://app.example";

/** The access sections of examples/gateway.yaml (auth, consumers, policies, sanitize) with audit to `auditPath`. */
async function exampleAccess(auditPath: string): Promise<string> {
  const example = parse(await readFile(resolve(REPO_ROOT, "examples/gateway.yaml"), "utf8")) as Record<string, unknown>;
  const access = {
    auth: example["auth"],
    consumers: example["consumers"],
    policies: example["policies"],
    sanitize: example["sanitize"],
    audit: { file: { path: auditPath } },
  };
  return stringify(access);
}

/**
 * Starts the stack in `mode` with the example config's security and, like the example config, server-everything and
 * the 2026-07-28 calendar server as further upstreams (its policies name all four servers).
 */
export async function startSecureStack(mode: StackMode): Promise<SecureStack> {
  const dir = await mkdtemp(join(tmpdir(), "mcp-secure-"));
  const auditPath = join(dir, "audit.log");
  const everythingPort = await freePort();
  const everything: RunningProcess = await startServerEverything(everythingPort);
  const calendar = await startExampleServer("calendar");
  const stack = await startGatewayStack(mode, {
    extraServers: [
      `name: everything, url: "http://127.0.0.1:${everythingPort}/mcp", tools: { exclude: [get-env] }, headers: { x-upstream-credential: "${UPSTREAM_CREDENTIAL}" }`,
      `name: calendar, url: "${calendar.url}"`,
    ],
    access: await exampleAccess(auditPath),
    security: `{ allowedOrigins: ["${ALLOWED_ORIGIN}"] }`,
    // Below Node's own 16 KiB header limit (the standalone server's) and Envoy's cap (twice this), so the gateway answers.
    limits: "maxHeaderBytes: 8192",
  });
  const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });
  return {
    stack,
    auditPath,
    as: { alice: bearer(DEMO_KEYS.alice), bob: bearer(DEMO_KEYS.bob), ops: bearer(DEMO_KEYS.ops) },
    async auditEvents() {
      const text = await readFile(auditPath, "utf8").catch(() => "");
      return text
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    },
    async stop() {
      await stack.stop();
      await Promise.all([everything.stop(), calendar.stop()]);
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
