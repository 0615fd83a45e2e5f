import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "pg";
import { parseConfig } from "@mcp-gateway/core";
import { DEFAULT_RENDER_OPTIONS, renderEnvoyConfig } from "@mcp-gateway/router";
import { connectClient, rawPost, type ConnectedClient } from "./mcp-client";
import { pollUntil } from "../support/bounded-wait";
import { startGatewayStack, type GatewayStack } from "./gateway-stack";
import { deployments } from "./stack-modes";
import { clientToken, startOAuthProvider, TOKEN_EXCHANGE_GRANT, type OAuthProvider } from "../support/oauth-provider";
import { startProtectedUpstream, type ProtectedUpstream } from "../support/protected-upstream";
import { startModernUpstream, type ModernUpstream } from "../support/modern-upstream";
import { startRedisServer, type RedisServer } from "../support/redis-server";
import { startPostgresServer, type PostgresServer } from "../support/postgres-server";

jest.setTimeout(120_000);

// Callers authenticate to the gateway with JWTs from the same provider, for this resource.
const GATEWAY = "http://gateway.test/mcp";
const OTHER = "http://other.test/mcp";
// The refresh token is minted before the upstreams start: its resource is a fixed name the rt upstream accepts.
const RT_RESOURCE = "http://rt.test/mcp";
const GATEWAY_CLIENT = {
  client_id: "mcp-gateway",
  client_secret: "gw-secret-do-not-log-5b8e1f",
  grant_types: ["client_credentials", "refresh_token", "authorization_code", TOKEN_EXCHANGE_GRANT],
};
const ALICE = { client_id: "alice", client_secret: "alice-secret-4c1d", grant_types: ["client_credentials"] };
const BOB = { client_id: "bob", client_secret: "bob-secret-9e2a", grant_types: ["client_credentials"] };
// A secret the provider does not know: the server using it can get no token.
const WRONG_SECRET = "wrong-secret-never-logged-77d0";
// Upstream tokens live 4 s: the refresh test sees several replaced while calls continue.
const TOKEN_TTL_S = 4;
// The test server trusts every local connection; a password in the store's URL is there to be kept out of the log.
const PG_PASSWORD = "pg-password-never-logged-3a7c";

const modes = deployments();
// Envoy mode (router and broker in one process) and standalone; the Redis split adds nothing to credentials.
const MODES = [modes.all[0], modes.all[2]].filter((mode) => mode !== undefined);

afterAll(async () => {
  await modes.stop();
});

function client(auth: string): string {
  return `tokenUrl: "${provider.tokenUrl}", clientId: ${GATEWAY_CLIENT.client_id}, clientSecret: "\${env:E2E_UPSTREAM_SECRET}", ${auth}`;
}

let provider: OAuthProvider;

interface Status {
  upstreams: { name: string; state: string; lastError?: string }[];
}

/** The claims of a `Bearer <JWT>` header value (the upstream fixture checks signatures; this reads who it is for). */
function claimsOf(authorization: string | undefined): Record<string, unknown> {
  const payload = /^Bearer [^.]+\.([^.]+)\./.exec(authorization ?? "")?.[1] ?? "";
  return payload === ""
    ? {}
    : (JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>);
}

async function statusOf(stack: GatewayStack): Promise<Status> {
  return (await (await fetch(`${stack.brokerBase}/status`)).json()) as Status;
}

describe.each(MODES)("upstream credentials against oidc-provider (%s)", (_label, mode) => {
  let dir: string;
  const up: Record<string, ProtectedUpstream> = {};
  let modern: ModernUpstream;
  let redis: RedisServer;
  let postgres: PostgresServer;
  let stack: GatewayStack;
  // What the gateway printed before a restart.
  const earlierLogs: string[] = [];

  const servers = (): string[] => [
    `name: cc, url: "${up["cc"]?.url}", auth: { type: oauth2ClientCredentials, ${client(`resource: "${up["cc"]?.url}", scopes: [mcp]`)} }`,
    `name: rt, url: "${up["rt"]?.url}", auth: { type: oauth2RefreshToken, ${client(`resource: "${RT_RESOURCE}"`)}, refreshToken: "${provider.refreshTokens[0]}", store: { file: "${join(dir, "rt.json")}" } }`,
    `name: rtr, url: "${up["rt"]?.url}", auth: { type: oauth2RefreshToken, ${client(`resource: "${RT_RESOURCE}"`)}, refreshToken: "${provider.refreshTokens[1]}", store: { redis: "${redis.url}" } }`,
    `name: rtp, url: "${up["rt"]?.url}", auth: { type: oauth2RefreshToken, ${client(`resource: "${RT_RESOURCE}"`)}, refreshToken: "${provider.refreshTokens[2]}", store: { postgres: "\${env:E2E_PG_URL}", key: rt-e2e } }`,
    `name: tx, url: "${up["tx"]?.url}", auth: { type: tokenExchange, ${client(`resource: "${up["tx"]?.url}"`)}, discovery: { ${client(`resource: "${up["tx"]?.url}"`)} } }`,
    `name: pt, url: "${up["pt"]?.url}", auth: { type: passthrough, audience: "${GATEWAY}", discovery: { ${client(`resource: "${GATEWAY}"`)} } }`,
    `name: ptx, url: "${up["pt"]?.url}", auth: { type: passthrough, audience: "${OTHER}", discovery: { ${client(`resource: "${GATEWAY}"`)} } }`,
    `name: revoked, url: "${up["revoked"]?.url}", auth: { type: oauth2ClientCredentials, ${client(`resource: "${up["revoked"]?.url}"`)} }`,
    `name: badsecret, url: "${up["cc"]?.url}", auth: { type: oauth2ClientCredentials, tokenUrl: "${provider.tokenUrl}", clientId: ${GATEWAY_CLIENT.client_id}, clientSecret: "\${env:E2E_WRONG_SECRET}", resource: "${up["cc"]?.url}" }`,
    `name: modern, url: "${modern.url}", auth: { type: oauth2ClientCredentials, ${client(`resource: "${modern.url}"`)} }`,
    `name: pt401, url: "${up["pt401"]?.url}", auth: { type: passthrough, audience: "${GATEWAY}", discovery: { ${client(`resource: "${OTHER}"`)} } }`,
  ];
  const access = (): string => `auth:
  jwt: { issuer: "${provider.issuer}", audience: "${GATEWAY}", jwksUrl: "${provider.jwksUrl}", algorithms: [RS256], defaultPolicy: everything }
policies:
  everything: { tools: ["*"], prompts: ["*"], resources: ["*"] }
`;
  /** Starts the gateway and waits for every server but those in `unready` (which can get no token). */
  const start = async (unready: readonly string[] = ["badsecret"]): Promise<GatewayStack> => {
    process.env["E2E_UPSTREAM_SECRET"] = GATEWAY_CLIENT.client_secret;
    process.env["E2E_WRONG_SECRET"] = WRONG_SECRET;
    process.env["E2E_PG_URL"] = postgres.url.replace("postgres@", `postgres:${PG_PASSWORD}@`);
    const started = await startGatewayStack(await mode(), {
      extraServers: servers(),
      access: access(),
      awaitReady: false,
    });
    const ready = await pollUntil(async () => {
      const upstreams = (await statusOf(started)).upstreams;
      return upstreams.length > 0 && upstreams.every((u) => unready.includes(u.name) || u.state === "ready");
    }, 20_000);
    if (!ready) throw new Error(`upstreams not ready: ${JSON.stringify(await statusOf(started))}`);
    return started;
  };
  /** The refresh token the PostgreSQL store holds for the rtp server. */
  const storedInPostgres = async (): Promise<string | undefined> => {
    const db = new Client({ connectionString: postgres.url });
    await db.connect();
    try {
      const result = await db.query<{ refresh_token: string }>(
        "SELECT refresh_token FROM mcp_upstream_refresh_tokens WHERE key = 'rt-e2e'",
      );
      return result.rows[0]?.refresh_token;
    } finally {
      await db.end();
    }
  };
  const connectAs = async (who: typeof ALICE): Promise<ConnectedClient> =>
    connectClient(stack.url, who.client_id, { authorization: `Bearer ${await clientToken(provider, who, GATEWAY)}` });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "upstream-oauth-"));
    provider = await startOAuthProvider({
      clients: [GATEWAY_CLIENT, ALICE, BOB],
      accessTokenTtl: TOKEN_TTL_S,
      callerResource: GATEWAY,
      refreshTokens: [
        { clientId: GATEWAY_CLIENT.client_id, accountId: "service-user", resource: RT_RESOURCE },
        { clientId: GATEWAY_CLIENT.client_id, accountId: "service-user", resource: RT_RESOURCE },
        { clientId: GATEWAY_CLIENT.client_id, accountId: "service-user", resource: RT_RESOURCE },
      ],
    });
    const verify = { issuer: provider.issuer, jwksUrl: provider.jwksUrl };
    for (const name of ["cc", "tx", "revoked"]) up[name] = await startProtectedUpstream(verify);
    up["rt"] = await startProtectedUpstream({ ...verify, audience: RT_RESOURCE });
    up["pt"] = await startProtectedUpstream({ ...verify, audience: GATEWAY });
    up["pt401"] = await startProtectedUpstream({ ...verify, audience: OTHER });
    modern = await startModernUpstream();
    redis = await startRedisServer();
    postgres = await startPostgresServer();
    stack = await start();
  });
  afterAll(async () => {
    await stack?.stop();
    for (const upstream of Object.values(up)) await upstream.close();
    await modern?.close();
    await redis?.stop();
    await postgres?.stop();
    await provider?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("calls a client-credentials upstream, and keeps calling while its 4 s token is replaced (no failed call)", async () => {
    const alice = await connectAs(ALICE);
    const deadline = Date.now() + (TOKEN_TTL_S * 2 + 2) * 1000;
    let calls = 0;
    while (Date.now() < deadline) {
      const result = await alice.client.callTool({ name: "cc_server_info", arguments: {} });
      expect(result.isError).toBeFalsy();
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await alice.close();
    const tokens = new Set(up["cc"]?.seen.filter((seen) => seen.subject).map((seen) => seen.tokenId));
    expect(calls).toBeGreaterThan(10);
    expect(tokens.size).toBeGreaterThanOrEqual(3);
    expect(up["cc"]?.seen.filter((seen) => seen.refused)).toEqual([]);
    // Only the gateway's own token reached the upstream, never the caller's (whose subject is alice).
    expect(new Set(up["cc"]?.seen.map((seen) => seen.subject))).toEqual(new Set([GATEWAY_CLIENT.client_id]));
  });

  it("sends the gateway's token to a 2026 upstream on discovery and on a bridged call", async () => {
    const alice = await connectAs(ALICE);
    const result = await alice.client.callTool({ name: "modern_echo", arguments: { text: "hi" } });
    expect(result.content).toEqual([{ type: "text", text: "echo: hi" }]);
    await alice.close();
    const methods = modern.requests.map((request) => request.method);
    expect(methods).toEqual(expect.arrayContaining(["tools/list", "tools/call"]));
    for (const request of modern.requests) {
      const claims = claimsOf(request.headers["authorization"]);
      expect(claims).toMatchObject({ sub: GATEWAY_CLIENT.client_id, aud: modern.url, iss: provider.issuer });
    }
  });

  it("exchanges each caller's JWT for an upstream token with the caller as subject (RFC 8693)", async () => {
    for (const who of [ALICE, BOB]) {
      const connected = await connectAs(who);
      expect((await connected.client.callTool({ name: "tx_server_info", arguments: {} })).isError).toBeFalsy();
      await connected.close();
    }
    const subjects = up["tx"]?.seen.filter((seen) => seen.method === "POST").map((seen) => seen.subject);
    expect(subjects).toEqual(expect.arrayContaining(["alice", "bob", GATEWAY_CLIENT.client_id]));
  });

  it("forwards a passthrough caller's own token when its audience matches, and refuses it otherwise", async () => {
    const alice = await connectAs(ALICE);
    expect((await alice.client.callTool({ name: "pt_server_info", arguments: {} })).isError).toBeFalsy();
    expect(up["pt"]?.seen.some((seen) => seen.subject === "alice")).toBe(true);
    await expect(alice.client.callTool({ name: "ptx_server_info", arguments: {} })).rejects.toThrow(
      /ptx.*accepts only tokens for audience .*other\.test.*not forwarded/,
    );
    await alice.close();
  });

  it("turns an upstream's 401 into a JSON-RPC error naming the server, relaying a passthrough challenge", async () => {
    const alice = await connectAs(ALICE);
    const sessionId = alice.transport.sessionId ?? "";
    const authorization = `Bearer ${await clientToken(provider, ALICE, GATEWAY)}`;
    const call = { jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "pt401_server_info", arguments: {} } };
    const reply = await rawPost(stack.url, JSON.stringify(call), { "mcp-session-id": sessionId, authorization });
    await alice.close();
    expect(reply.status).toBe(401);
    expect(reply.headers.get("www-authenticate")).toContain('error="invalid_token"');
    expect(reply.json).toMatchObject({ id: 7, error: { message: expect.stringContaining('"pt401"') } });
  });

  it("turns a 401 to the gateway's own token into an error naming the server", async () => {
    const alice = await connectAs(ALICE);
    expect((await alice.client.callTool({ name: "revoked_server_info", arguments: {} })).isError).toBeFalsy();
    up["revoked"]?.refuseAll();
    const call = alice.client.callTool({ name: "revoked_server_info", arguments: {} });
    await expect(call).rejects.toThrow(/upstream \\?"revoked\\?" refused the gateway's credentials for it \(401\)/);
    await alice.close();
  });

  it("reports a server whose token cannot be had in /status, naming it and the endpoint's answer, never the secret", async () => {
    const status = await statusOf(stack);
    const bad = status.upstreams.find((u) => u.name === "badsecret");
    expect(bad?.state).not.toBe("ready");
    expect(bad?.lastError).toContain('upstream "badsecret": no access token could be obtained');
    expect(bad?.lastError).toContain("401 invalid_client");
    const text = JSON.stringify(status);
    for (const secret of [WRONG_SECRET, GATEWAY_CLIENT.client_secret]) expect(text).not.toContain(secret);
  });

  it("renders an Envoy config that carries no upstream secret", async () => {
    const yaml = await readFile(stack.configPath, "utf8");
    const rendered = JSON.stringify(renderEnvoyConfig(parseConfig(yaml, process.env), DEFAULT_RENDER_OPTIONS));
    expect(rendered).toContain("mcp_server_cc");
    for (const secret of [WRONG_SECRET, GATEWAY_CLIENT.client_secret, PG_PASSWORD, ...provider.refreshTokens])
      expect(rendered).not.toContain(secret);
  });

  it("persists a rotated refresh token (file, Redis and PostgreSQL stores) and continues from it after a gateway restart", async () => {
    const alice = await connectAs(ALICE);
    for (const name of ["rt_server_info", "rtr_server_info", "rtp_server_info"])
      expect((await alice.client.callTool({ name, arguments: {} })).isError).toBeFalsy();
    await alice.close();
    const saved = JSON.parse(await readFile(join(dir, "rt.json"), "utf8")) as { refreshToken: string };
    expect(saved.refreshToken).not.toBe(provider.refreshTokens[0]);
    const rotated = await storedInPostgres();
    expect(rotated).toEqual(expect.any(String));
    expect(rotated).not.toBe(provider.refreshTokens[2]);
    earlierLogs.push(stack.gatewayOutput());
    await stack.stop();
    // The first refresh token was consumed: reusing it would fail (and revoke the grant). The restarted gateway
    // reads the newest from the file.
    // "revoked" refuses everything since its test.
    stack = await start(["badsecret", "revoked"]);
    const again = await connectAs(ALICE);
    for (const name of ["rt_server_info", "rtr_server_info", "rtp_server_info"])
      expect((await again.client.callTool({ name, arguments: {} })).isError).toBeFalsy();
    await again.close();
  });

  it("keeps client secrets, refresh tokens and access tokens out of the gateway's log", () => {
    const log = [...earlierLogs, stack.gatewayOutput()].join("");
    expect(log).not.toContain(GATEWAY_CLIENT.client_secret);
    expect(log).not.toContain(WRONG_SECRET);
    expect(log).not.toContain(PG_PASSWORD);
    for (const token of provider.refreshTokens) expect(log).not.toContain(token);
    expect(log).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
  });
});
