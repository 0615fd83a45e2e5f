import { createHmac } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { hashApiKey } from "@mcp-gateway/core";
import { pollUntil } from "../support/bounded-wait";
import { startJwtIssuer, type JwtIssuer } from "../support/jwt-issuer";
import { freePort } from "../support/redis-server";
import { deployments } from "./stack-modes";
import { connectClient, rawPost, type ConnectedClient } from "./mcp-client";
import { startGatewayStack, type GatewayStack } from "./gateway-stack";

jest.setTimeout(90_000);

// JWT/OIDC and the admin API through every deployment: tokens from a real JWKS endpoint map to consumers and
// policies (a tools claim narrows them), bad tokens get 401, and consumers registered at runtime get keys that work
// at once, stop working when rotated or revoked. API keys travel in x-api-key here (a configurable header).
const ADMIN_TOKEN = "admin-token-for-e2e-0123456789abcdef";
const AUDIENCE = "mcp-gateway-e2e";

let issuer: JwtIssuer;
beforeAll(async () => {
  issuer = await startJwtIssuer();
});
afterAll(async () => {
  await issuer.close();
  await modes.stop();
});

const modes = deployments();

function access(adminPort: number, storePath: string, auditPath: string): string {
  return `auth:
  apiKeys: { header: x-api-key }
  jwt:
    issuer: "${issuer.issuer}"
    audience: ${AUDIENCE}
    jwksUrl: "${issuer.jwksUrl}"
    algorithms: [RS256]
    clockSkew: 5s
    toolsClaim: mcp_tools
    defaultPolicy: readers
consumers:
  - { name: carol, policy: everything }
policies:
  everything: { tools: ["*"], prompts: ["*"], resources: ["*"] }
  readers: { tools: ["weather_*", "notes_list_notes"] }
admin:
  listen: "127.0.0.1:${adminPort}"
  token: "${ADMIN_TOKEN}"
  store: "file:${storePath}"
audit:
  file: { path: "${auditPath}" }
`;
}

/** An HS256 token keyed with the issuer's public key: the classic RS/HS key-confusion forgery. */
function confusedToken(claims: Record<string, unknown>): string {
  const b64 = (value: string): string => Buffer.from(value).toString("base64url");
  const head = b64(JSON.stringify({ alg: "HS256", typ: "JWT", kid: "test-key-1" }));
  const body = b64(JSON.stringify(claims));
  const tag = createHmac("sha256", issuer.publicKeyPem).update(`${head}.${body}`).digest("base64url");
  return `${head}.${body}.${tag}`;
}

describe.each(modes.all)("identities end to end (%s)", (_label, mode) => {
  let stack: GatewayStack;
  let dir: string;
  let admin: string;
  const clients: ConnectedClient[] = [];
  const toolsOf = async (headers: Record<string, string>): Promise<string[]> => {
    const connected = await connectClient(stack.url, "identity", headers);
    clients.push(connected);
    return (await connected.client.listTools()).tools.map((t) => t.name).sort();
  };
  const ping = (headers: Record<string, string>) =>
    rawPost(stack.url, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }), headers);
  const adminCall = (method: string, path: string, body?: unknown, token = ADMIN_TOKEN) =>
    fetch(`${admin}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const claims = (extra: Record<string, unknown>) => ({ aud: AUDIENCE, ...extra });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "mcp-identity-"));
    const adminPort = await freePort();
    admin = `http://127.0.0.1:${adminPort}`;
    stack = await startGatewayStack(await mode(), {
      access: access(adminPort, join(dir, "consumers.json"), join(dir, "audit.jsonl")),
    });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await stack.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("maps a token's subject to its consumer's policy (carol: every tool)", async () => {
    expect(await toolsOf(bearer(issuer.sign(claims({ sub: "carol" }))))).toContain("notes_add_note");
  });

  it("gives an unknown subject the default policy", async () => {
    expect(await toolsOf(bearer(issuer.sign(claims({ sub: "dave" }))))).toEqual([
      "notes_list_notes",
      "weather_get_alerts",
      "weather_get_forecast",
      "weather_server_info",
    ]);
  });

  it("narrows the policy to the token's tools claim", async () => {
    const token = issuer.sign(claims({ sub: "carol", mcp_tools: ["weather_get_forecast", "notes_add_note"] }));
    expect(await toolsOf(bearer(token))).toEqual(["notes_add_note", "weather_get_forecast"]);
  });

  it.each<[string, () => string]>([
    ["an expired token", () => issuer.sign(claims({ sub: "carol", exp: Math.floor(Date.now() / 1000) - 60 }))],
    ["a token not valid yet", () => issuer.sign(claims({ sub: "carol", nbf: Math.floor(Date.now() / 1000) + 60 }))],
    ["a token for another audience", () => issuer.sign({ sub: "carol", aud: "someone-else" })],
    ["a token from another issuer", () => issuer.sign(claims({ sub: "carol", iss: "https://evil.test" }))],
    [
      "an unsigned alg:none token",
      () =>
        `${Buffer.from('{"alg":"none","typ":"JWT"}').toString("base64url")}.${Buffer.from(JSON.stringify(claims({ sub: "carol", iss: issuer.issuer, exp: 9e9 }))).toString("base64url")}.`,
    ],
    [
      "an HS256 token keyed with the RSA public key",
      () => confusedToken(claims({ sub: "carol", iss: issuer.issuer, exp: 9e9 })),
    ],
    ["a token whose signature was tampered with", () => issuer.sign(claims({ sub: "carol" })).slice(0, -4) + "AAAA"],
  ])("refuses %s with 401 invalid_token", async (_label, token) => {
    const reply = await ping(bearer(token()));
    expect(reply.status).toBe(401);
    expect(reply.headers.get("www-authenticate")).toContain('error="invalid_token"');
  });

  it("refuses the admin API without its token", async () => {
    expect((await adminCall("GET", "/consumers", undefined, "wrong-token")).status).toBe(401);
  });

  it("registers a consumer whose key works at once in x-api-key, and rotates and revokes it", async () => {
    const created = await adminCall("POST", "/consumers", { name: "erin", policy: "readers" });
    expect(created.status).toBe(201);
    const { apiKey } = (await created.json()) as { apiKey: string };
    expect(await toolsOf({ "x-api-key": apiKey })).toContain("weather_get_forecast");
    expect((await ping(bearer(apiKey))).status).toBe(401);
    const listed = JSON.stringify(await (await adminCall("GET", "/consumers")).json());
    expect(listed).toContain("erin");
    expect(listed).not.toContain(apiKey);

    const rotated = (await (await adminCall("POST", "/consumers/erin/rotate")).json()) as { apiKey: string };
    expect((await ping({ "x-api-key": apiKey })).status).toBe(401);
    expect(await toolsOf({ "x-api-key": rotated.apiKey })).toContain("weather_get_forecast");

    expect((await adminCall("DELETE", "/consumers/erin")).status).toBe(200);
    expect((await ping({ "x-api-key": rotated.apiKey })).status).toBe(401);
  });

  it("changes a registered consumer's policy with PATCH, applied to its next request without a restart", async () => {
    const created = await adminCall("POST", "/consumers", { name: "grace", policy: "readers" });
    const { apiKey } = (await created.json()) as { apiKey: string };
    expect(await toolsOf({ "x-api-key": apiKey })).not.toContain("notes_add_note");
    const changed = await adminCall("PATCH", "/consumers/grace", { policy: "everything" });
    expect(changed.status).toBe(200);
    expect(await toolsOf({ "x-api-key": apiKey })).toContain("notes_add_note");
    const unknown = await adminCall("PATCH", "/consumers/grace", { policy: "root" });
    // On the audit record as admin events naming the admin token by fingerprint (never the token).
    const auditLines = async (): Promise<Record<string, unknown>[]> =>
      (await readFile(join(dir, "audit.jsonl"), "utf8").catch(() => ""))
        .split("\n")
        .filter((line) => line.includes('"admin/update"'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(await pollUntil(async () => (await auditLines()).length === 2, 10_000)).toBe(true);
    expect((await auditLines()).map((e) => [e.actor, e.consumer, e.target, e.decision])).toEqual([
      [`admin:${hashApiKey(ADMIN_TOKEN).slice(7, 19)}`, "grace", "everything", "allowed"],
      [`admin:${hashApiKey(ADMIN_TOKEN).slice(7, 19)}`, "grace", "root", "rejected"],
    ]);
    expect([unknown.status, await unknown.text()]).toEqual([
      400,
      '{"error":"unknown policy \\"root\\"","field":"policy"}',
    ]);
  });

  it("lists the configured carol read-only and refuses to change her (409)", async () => {
    const { consumers } = (await (await adminCall("GET", "/consumers")).json()) as { consumers: unknown[] };
    expect(consumers).toContainEqual(expect.objectContaining({ name: "carol", source: "config", readOnly: true }));
    expect((await adminCall("PATCH", "/consumers/carol", { policy: "readers" })).status).toBe(409);
    expect((await adminCall("POST", "/consumers/carol/rotate")).status).toBe(409);
  });

  it.each(["CAROL", "Carol"])("refuses to register %j beside the configured carol (409)", async (name) => {
    const created = await adminCall("POST", "/consumers", { name, policy: "readers" });
    expect(created.status).toBe(409);
    expect(JSON.stringify(await (await adminCall("GET", "/consumers")).json())).not.toContain(name);
  });

  it("refuses a registered consumer's name in another case (409)", async () => {
    expect((await adminCall("POST", "/consumers", { name: "frank", policy: "readers" })).status).toBe(201);
    expect((await adminCall("POST", "/consumers", { name: "FRANK", policy: "readers" })).status).toBe(409);
  });
});

// The admin API tells the broker of its own process at once; with router and broker apart, the broker reads its
// connected consumers from the shared store (a file here) and tells their streams within its watch interval.
describe.each(modes.all)("a policy PATCH tells the consumer's open streams (%s)", (_label, mode) => {
  let stack: GatewayStack;
  let dir: string;
  let admin: string;
  let connected: ConnectedClient | undefined;
  const adminCall = (method: string, path: string, body: unknown) =>
    fetch(`${admin}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  const openStreams = async (): Promise<number> =>
    ((await (await fetch(`${stack.brokerBase}/status`)).json()) as { openStreams: number }).openStreams;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "mcp-identity-patch-"));
    const adminPort = await freePort();
    admin = `http://127.0.0.1:${adminPort}`;
    stack = await startGatewayStack(await mode(), {
      access: access(adminPort, join(dir, "consumers.json"), join(dir, "audit.jsonl")),
    });
  });
  afterAll(async () => {
    await connected?.close();
    await stack.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("sends tools/list_changed to the consumer's GET stream, and the new list has the new tools", async () => {
    const created = await adminCall("POST", "/consumers", { name: "heidi", policy: "readers" });
    const { apiKey } = (await created.json()) as { apiKey: string };
    const streamsBefore = await openStreams();
    connected = await connectClient(stack.url, "identity-stream", { "x-api-key": apiKey });
    let told = 0;
    connected.client.setNotificationHandler(ToolListChangedNotificationSchema, () => void told++);
    expect((await connected.client.listTools()).tools.map((t) => t.name)).not.toContain("notes_add_note");
    // The GET stream opens after initialize: wait until the broker counts it before changing anything.
    expect(await pollUntil(async () => (await openStreams()) > streamsBefore, 10_000)).toBe(true);
    expect((await adminCall("PATCH", "/consumers/heidi", { policy: "everything" })).status).toBe(200);
    expect(await pollUntil(() => told > 0, 10_000)).toBe(true);
    expect((await connected.client.listTools()).tools.map((t) => t.name)).toContain("notes_add_note");
  });

  it("closes the consumer's GET stream when it is revoked", async () => {
    const created = await adminCall("POST", "/consumers", { name: "ivan", policy: "readers" });
    const { apiKey } = (await created.json()) as { apiKey: string };
    const streamsBefore = await openStreams();
    const ivan = await connectClient(stack.url, "identity-revoked", { "x-api-key": apiKey });
    try {
      expect(await pollUntil(async () => (await openStreams()) > streamsBefore, 10_000)).toBe(true);
      expect((await adminCall("DELETE", "/consumers/ivan", {})).status).toBe(200);
      expect(await pollUntil(async () => (await openStreams()) === streamsBefore, 10_000)).toBe(true);
    } finally {
      await ivan.close();
    }
  });
});
