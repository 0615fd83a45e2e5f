import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectClient, type ConnectedClient } from "./mcp-client";
import { pollUntil } from "../support/bounded-wait";
import { startGatewayStack, type GatewayStack } from "./gateway-stack";
import { deployments } from "./stack-modes";
import { clientToken, startOAuthProvider, TOKEN_EXCHANGE_GRANT, type OAuthProvider } from "../support/oauth-provider";
import { startProtectedUpstream, type ProtectedUpstream } from "../support/protected-upstream";

jest.setTimeout(120_000);

// private_key_jwt (RFC 7523 §2.2) against the real oidc-provider: the gateway's client is registered with
// token_endpoint_auth_method private_key_jwt and its public key only, so every grant (client credentials, refresh
// token, token exchange and the discovery client) works only if the gateway signs a valid assertion per request.

const GATEWAY = "http://gateway.test/mcp";
const RT_RESOURCE = "http://rt.test/mcp";
const KID = "gw-pkjwt-1";

function rsaKey(): { privateKey: KeyObject; pem: string; jwk: object } {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  return { privateKey, pem, jwk: { ...publicKey.export({ format: "jwk" }), kid: KID, alg: "RS256", use: "sig" } };
}

const registered = rsaKey();
const wrong = rsaKey();
const GATEWAY_CLIENT = {
  client_id: "gw-pkjwt",
  grant_types: ["client_credentials", "refresh_token", "authorization_code", TOKEN_EXCHANGE_GRANT],
  token_endpoint_auth_method: "private_key_jwt",
  jwks: { keys: [registered.jwk] },
};
const ALICE = { client_id: "alice", client_secret: "alice-secret-pk-31ad", grant_types: ["client_credentials"] };
const KEY_BODY = registered.pem.split("\n")[5] ?? "unused";

const modes = deployments();
const MODES = [modes.all[0], modes.all[2]].filter((mode) => mode !== undefined);

afterAll(async () => {
  await modes.stop();
});

interface Status {
  upstreams: { name: string; state: string; lastError?: string }[];
}

describe.each(MODES)("private_key_jwt upstream client authentication (%s)", (_label, mode) => {
  let provider: OAuthProvider;
  let dir: string;
  const up: Record<string, ProtectedUpstream> = {};
  let stack: GatewayStack;
  let alice: ConnectedClient;

  const client = (key: string, target: string): string =>
    `tokenUrl: "${provider.tokenUrl}", clientId: ${GATEWAY_CLIENT.client_id}, clientAuth: { method: private_key_jwt, ${key}, keyId: ${KID} }, ${target}`;
  const envKey = `privateKey: "\${env:E2E_PKJWT_KEY}"`;
  const servers = (): string[] => [
    `name: pk, url: "${up["cc"]?.url}", auth: { type: oauth2ClientCredentials, ${client(envKey, `resource: "${up["cc"]?.url}"`)} }`,
    `name: pkfile, url: "${up["cc"]?.url}", auth: { type: oauth2ClientCredentials, ${client(`privateKeyFile: "${join(dir, "key.pem")}"`, `resource: "${up["cc"]?.url}"`)} }`,
    `name: pkrt, url: "${up["rt"]?.url}", auth: { type: oauth2RefreshToken, ${client(envKey, `resource: "${RT_RESOURCE}"`)}, refreshToken: "${provider.refreshTokens[0]}", store: { file: "${join(dir, "rt.json")}" } }`,
    `name: pktx, url: "${up["tx"]?.url}", auth: { type: tokenExchange, ${client(envKey, `resource: "${up["tx"]?.url}"`)}, discovery: { ${client(envKey, `resource: "${up["tx"]?.url}"`)} } }`,
    `name: pkwrong, url: "${up["cc"]?.url}", auth: { type: oauth2ClientCredentials, ${client(`privateKey: "\${env:E2E_PKJWT_WRONG}"`, `resource: "${up["cc"]?.url}"`)} }`,
  ];
  const access = (): string => `auth:
  jwt: { issuer: "${provider.issuer}", audience: "${GATEWAY}", jwksUrl: "${provider.jwksUrl}", algorithms: [RS256], defaultPolicy: everything }
policies:
  everything: { tools: ["*"], prompts: ["*"], resources: ["*"] }
`;
  const statusOf = async (): Promise<Status> => (await (await fetch(`${stack.brokerBase}/status`)).json()) as Status;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "pkjwt-e2e-"));
    await writeFile(join(dir, "key.pem"), registered.pem, { mode: 0o600 });
    provider = await startOAuthProvider({
      clients: [GATEWAY_CLIENT, ALICE],
      callerResource: GATEWAY,
      refreshTokens: [{ clientId: GATEWAY_CLIENT.client_id, accountId: "svc", resource: RT_RESOURCE }],
    });
    const verify = { issuer: provider.issuer, jwksUrl: provider.jwksUrl };
    up["cc"] = await startProtectedUpstream(verify);
    up["rt"] = await startProtectedUpstream({ ...verify, audience: RT_RESOURCE });
    up["tx"] = await startProtectedUpstream(verify);
    process.env["E2E_PKJWT_KEY"] = registered.pem;
    process.env["E2E_PKJWT_WRONG"] = wrong.pem;
    stack = await startGatewayStack(await mode(), { extraServers: servers(), access: access(), awaitReady: false });
    const ready = await pollUntil(async () => {
      const upstreams = (await statusOf()).upstreams;
      return upstreams.length > 0 && upstreams.every((u) => u.name === "pkwrong" || u.state === "ready");
    }, 30_000);
    if (!ready) throw new Error(`upstreams not ready: ${JSON.stringify(await statusOf())}`);
    alice = await connectClient(stack.url, "alice-pkjwt", {
      authorization: `Bearer ${await clientToken(provider, ALICE, GATEWAY)}`,
    });
  });
  afterAll(async () => {
    await alice?.close();
    await stack?.stop();
    for (const upstream of Object.values(up)) await upstream.close();
    await provider?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it.each(["pk", "pkfile", "pkrt", "pktx"])(
    "gets upstream tokens for %s with a signed client assertion",
    async (name) => {
      const result = await alice.client.callTool({ name: `${name}_server_info`, arguments: {} });
      expect(result.isError).toBeFalsy();
    },
  );

  it("refuses a wrong key with an error naming the server, and never shows a key", async () => {
    const wrongServer = (await statusOf()).upstreams.find((u) => u.name === "pkwrong");
    expect(wrongServer?.state).not.toBe("ready");
    expect(wrongServer?.lastError).toContain('upstream "pkwrong": no access token could be obtained');
    expect(wrongServer?.lastError).toContain("401 invalid_client: the private_key_jwt client assertion was refused");
    const shown = `${stack.gatewayOutput()}${JSON.stringify(await statusOf())}`;
    expect(shown).not.toContain(KEY_BODY);
    expect(shown).not.toContain(wrong.pem.split("\n")[5] ?? "unused");
    expect(shown).not.toContain("client_assertion=");
  });
});
