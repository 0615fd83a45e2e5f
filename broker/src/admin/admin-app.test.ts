import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConsumerRegistry, createLogger, FileConsumerStore, hashApiKey } from "@mcp-gateway/core";
import { rawRequest } from "../testing/raw-request";
import { createAdminApp } from "./admin-app";

const ADMIN_TOKEN = "admin-token-for-tests-0123456789";

let directory: string;
let store: FileConsumerStore;
let registry: ConsumerRegistry;
let server: Server;
let base: string;
let logLines: string[];
/** The config's own consumer in these tests: listed read-only, never changed through the API. */
const CONFIG_CONSUMERS = [{ name: "ops", policy: "admin", keyHash: hashApiKey("config-key-of-ops") }];

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), "admin-app-"));
  store = await FileConsumerStore.open(join(directory, "consumers.json"));
  registry = new ConsumerRegistry(store, {
    policyExists: (name) => name === "default" || name === "admin",
    configConsumers: () => CONFIG_CONSUMERS,
  });
  logLines = [];
  const logger = createLogger({ level: "debug", sink: { write: (line: string) => logLines.push(line) } });
  const app = createAdminApp({ registry, adminTokenHash: hashApiKey(ADMIN_TOKEN), logger });
  server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, "127.0.0.1", () => resolve(listening));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await store.close();
  await rm(directory, { recursive: true, force: true });
});

interface Call {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

async function call(
  method: string,
  path: string,
  options: { body?: unknown; token?: string | null } = {},
): Promise<Call> {
  const headers: Record<string, string> = {};
  const token = options.token === undefined ? ADMIN_TOKEN : options.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    headers["content-type"] = "application/json";
    body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
  }
  const response = await fetch(`${base}${path}`, { method, headers, body });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

async function register(name = "alice", policy = "default"): Promise<string> {
  const created = await call("POST", "/consumers", { body: { name, policy } });
  expect(created.status).toBe(201);
  return String(created.body.apiKey);
}

describe("admin app authentication", () => {
  it.each([
    ["no token", null],
    ["a wrong token", "not-the-admin-token"],
    ["the token's hash", hashApiKey(ADMIN_TOKEN)],
  ])("answers 401 with a Bearer challenge for %s", async (_label, token) => {
    const response = await call("GET", "/consumers", { token });
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="mcp-gateway-admin"');
    expect(typeof response.body.error).toBe("string");
  });

  it("answers 401 for a non-Bearer scheme", async () => {
    const response = await fetch(`${base}/consumers`, { headers: { authorization: `Basic ${ADMIN_TOKEN}` } });
    expect(response.status).toBe(401);
  });

  it("checks the token before reading or validating the body", async () => {
    const response = await call("POST", "/consumers", { token: null, body: "{broken" });
    expect(response.status).toBe(401);
  });

  it("serves /healthz without a token", async () => {
    expect(await call("GET", "/healthz", { token: null })).toMatchObject({ status: 200, body: { status: "ok" } });
  });

  it("refuses an admin token hash that is not sha256:<hex>", () => {
    expect(() => createAdminApp({ registry, adminTokenHash: ADMIN_TOKEN, logger: createLogger() })).toThrow(
      /adminTokenHash/,
    );
  });
});

describe("admin app consumers", () => {
  it("registers a consumer and returns a key that the registry accepts", async () => {
    const created = await call("POST", "/consumers", { body: { name: "alice", policy: "admin" } });
    expect(created.status).toBe(201);
    expect(Object.keys(created.body).sort()).toEqual(["apiKey", "createdAt", "name", "policy"]);
    expect(created.body).toMatchObject({ name: "alice", policy: "admin" });
    expect(created.headers.get("cache-control")).toBe("no-store");
    const apiKey = String(created.body.apiKey);
    expect(await registry.lookup(hashApiKey(apiKey))).toEqual({ consumer: "alice", policy: "admin" });
  });

  it("lists consumers without keys or key hashes", async () => {
    const apiKey = await register("alice");
    await register("bob");
    const listed = await call("GET", "/consumers");
    expect(listed.status).toBe(200);
    const text = JSON.stringify(listed.body);
    expect(text).not.toContain(apiKey);
    expect(text).not.toContain("sha256:");
    expect(text).not.toMatch(/keyHash|apiKey/);
    const consumers = listed.body.consumers as Record<string, unknown>[];
    expect(consumers.map((consumer) => consumer.name)).toEqual(["alice", "bob", "ops"]);
    expect(Object.keys(consumers[0] ?? {}).sort()).toEqual([
      "createdAt",
      "name",
      "policy",
      "readOnly",
      "revokedAt",
      "rotatedAt",
      "source",
    ]);
    expect(consumers[0]).toMatchObject({ source: "store", readOnly: false });
  });

  it("shows one consumer without its key hash", async () => {
    await register("alice");
    const shown = await call("GET", "/consumers/alice");
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({ name: "alice", policy: "default", rotatedAt: null, revokedAt: null });
    expect(shown.body).not.toHaveProperty("keyHash");
  });

  it("rotates: the old key fails at once and the new one works", async () => {
    const oldKey = await register("alice");
    expect(await registry.lookup(hashApiKey(oldKey))).toBeDefined();
    const rotated = await call("POST", "/consumers/alice/rotate");
    expect(rotated.status).toBe(200);
    expect(rotated.body).toMatchObject({ name: "alice", policy: "default", revokedAt: null });
    expect(rotated.body.rotatedAt).toEqual(expect.any(String));
    const newKey = String(rotated.body.apiKey);
    expect(newKey).not.toBe(oldKey);
    expect(await registry.lookup(hashApiKey(oldKey))).toBeUndefined();
    expect(await registry.lookup(hashApiKey(newKey))).toEqual({ consumer: "alice", policy: "default" });
  });

  it("revokes: the key fails at once and the record says when", async () => {
    const apiKey = await register("alice");
    expect(await registry.lookup(hashApiKey(apiKey))).toBeDefined();
    const revoked = await call("DELETE", "/consumers/alice");
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ name: "alice", revokedAt: expect.any(String) });
    expect(revoked.body).not.toHaveProperty("apiKey");
    expect(await registry.lookup(hashApiKey(apiKey))).toBeUndefined();
  });

  it("logs each action with the consumer's name and never the key", async () => {
    const apiKey = await register("alice");
    const rotated = await call("POST", "/consumers/alice/rotate");
    await call("DELETE", "/consumers/alice");
    const log = logLines.join("");
    const actions = logLines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.action);
    expect(actions.map((line) => [line.action, line.consumer])).toEqual([
      ["register", "alice"],
      ["rotate", "alice"],
      ["revoke", "alice"],
    ]);
    for (const secret of [apiKey, String(rotated.body.apiKey), ADMIN_TOKEN]) expect(log).not.toContain(secret);
    expect(log).not.toContain("sha256:");
  });

  it("never logs a rejected admin token", async () => {
    await call("GET", "/consumers", { token: "wrong-token-value-123" });
    expect(logLines.join("")).not.toContain("wrong-token-value-123");
  });
});

describe("admin app errors", () => {
  it.each([
    ["a missing name", { policy: "default" }, "name"],
    ["a non-string name", { name: 42, policy: "default" }, "name"],
    ["an invalid name", { name: "no spaces", policy: "default" }, "name"],
    ["a missing policy", { name: "alice" }, "policy"],
    ["an unknown policy", { name: "alice", policy: "root" }, "policy"],
  ])("answers 400 naming the field for %s", async (_label, body, field) => {
    const response = await call("POST", "/consumers", { body });
    expect(response.status).toBe(400);
    expect(response.body.field).toBe(field);
    expect(String(response.body.error)).toContain(field);
  });

  it.each([
    ["a JSON array", "[]"],
    ["a JSON string", '"alice"'],
    ["broken JSON", "{broken"],
  ])("answers 400 for %s", async (_label, body) => {
    expect((await call("POST", "/consumers", { body })).status).toBe(400);
  });

  it("answers 400 for a missing body", async () => {
    expect((await call("POST", "/consumers")).status).toBe(400);
  });

  it("answers 409 for a taken name", async () => {
    await register("alice");
    const response = await call("POST", "/consumers", { body: { name: "alice", policy: "default" } });
    expect(response.status).toBe(409);
    expect(response.body.error).toMatch(/alice/);
  });

  it("answers 409 for rotating a revoked consumer", async () => {
    await register("alice");
    await call("DELETE", "/consumers/alice");
    expect((await call("POST", "/consumers/alice/rotate")).status).toBe(409);
  });

  it.each([
    ["GET", "/consumers/ghost"],
    ["POST", "/consumers/ghost/rotate"],
    ["DELETE", "/consumers/ghost"],
    ["GET", "/nothing-here"],
  ])("answers 404 for %s %s", async (method, path) => {
    const response = await call(method, path);
    expect(response.status).toBe(404);
    expect(typeof response.body.error).toBe("string");
  });

  it("answers 415 for a body that is not JSON", async () => {
    const response = await fetch(`${base}/consumers`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/x-www-form-urlencoded" },
      body: "name=alice&policy=default",
    });
    expect(response.status).toBe(415);
    expect(await registry.list()).toEqual([]);
  });

  it("answers 413 for a body over 16 KiB", async () => {
    const response = await call("POST", "/consumers", { body: { name: "alice", policy: "x".repeat(17 * 1024) } });
    expect(response.status).toBe(413);
  });
});

describe("admin app exact paths", () => {
  const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
  it.each([
    ["GET", "/CONSUMERS"],
    ["GET", "/Consumers"],
    ["GET", "/consumers/"],
    ["GET", "//consumers"],
    ["GET", "/./consumers"],
    ["GET", "/%63onsumers"],
    ["GET", "/consumers;x=1"],
    ["GET", "/Consumers/alice"],
    ["GET", "/consumers/alice/"],
    ["POST", "/consumers/alice/ROTATE"],
    ["POST", "/consumers/alice/rotate/"],
    ["DELETE", "/consumers/alice/"],
    ["GET", "/HEALTHZ"],
    ["GET", "/healthz/"],
  ])("answers 404 for %s %s (paths are exact: case-sensitive, no trailing slash)", async (method, path) => {
    await register("alice");
    const headers = method === "POST" ? { ...auth, "content-length": "0" } : auth;
    const answer = await rawRequest(base, { method, path, headers });
    expect(answer.status).toBe(404);
    // The key was neither rotated nor revoked through the variant.
    const record = await registry.get("alice");
    expect([record.rotatedAt, record.revokedAt]).toEqual([null, null]);
  });
});
