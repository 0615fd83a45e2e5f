import { connectClient, rawPost } from "./mcp-client";
import { PUBLIC_URL, startGatewayStack, type GatewayStack } from "./gateway-stack";
import { deployments } from "./stack-modes";
import { clientToken, startOAuthProvider, type OAuthProvider } from "../support/oauth-provider";

jest.setTimeout(120_000);

// RFC 8707 / MCP authorization: a token is accepted only at the endpoint (resource) it was issued for. The caller asks
// the real oidc-provider for a token with `resource` = one endpoint's URL; every other endpoint refuses it.

const ALICE = { client_id: "alice", client_secret: "alice-secret-aud-5d0e", grant_types: ["client_credentials"] };
const INITIALIZE = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "aud-e2e", version: "1" } },
});

const modes = deployments();
// Envoy mode (router and broker in one process, real Envoy) and standalone.
const MODES = [modes.all[0], modes.all[2]].filter((mode) => mode !== undefined);

afterAll(async () => {
  await modes.stop();
});

describe.each(MODES)("per-endpoint token audience (%s)", (_label, mode) => {
  let provider: OAuthProvider;
  let stack: GatewayStack;
  let weatherToken: string;

  beforeAll(async () => {
    provider = await startOAuthProvider({ clients: [ALICE] });
    const access = `auth:
  jwt: { issuer: "${provider.issuer}", audience: "${PUBLIC_URL}/mcp", jwksUrl: "${provider.jwksUrl}", algorithms: [RS256], defaultPolicy: everything }
  resourceMetadata: { resource: "${PUBLIC_URL}/mcp", authorizationServers: ["${provider.issuer}"] }
policies:
  everything: { tools: ["*"], prompts: ["*"], resources: ["*"] }
`;
    stack = await startGatewayStack(await mode(), { access });
    weatherToken = await clientToken(provider, ALICE, `${stack.url}/weather`);
  });
  afterAll(async () => {
    await stack?.stop();
    await provider?.close();
  });

  it("accepts a token for /mcp/weather at /mcp/weather", async () => {
    const client = await connectClient(`${stack.url}/weather`, "aud-e2e", { authorization: `Bearer ${weatherToken}` });
    try {
      const { tools } = await client.client.listTools();
      expect(tools.map((tool) => tool.name)).toContain("get_forecast");
    } finally {
      await client.close();
    }
  });

  it.each(["/notes", ""])("refuses a token for /mcp/weather at /mcp%s with 401 invalid_token", async (below) => {
    const reply = await rawPost(`${stack.url}${below}`, INITIALIZE, { authorization: `Bearer ${weatherToken}` });
    expect(reply.status).toBe(401);
    const challenge = reply.headers.get("www-authenticate") ?? "";
    expect(challenge).toContain('error="invalid_token"');
    expect(challenge).toContain(`token audience does not include this endpoint's resource ${stack.url}${below}`);
    // The challenge names the addressed endpoint's own metadata (RFC 9728 §3.1), as before.
    const origin = new URL(stack.url).origin;
    expect(challenge).toContain(`resource_metadata="${origin}/.well-known/oauth-protected-resource/mcp${below}"`);
  });

  it("accepts a token for /mcp at /mcp and refuses it at /mcp/weather", async () => {
    const token = await clientToken(provider, ALICE, stack.url);
    const at = async (url: string): Promise<number> =>
      (await rawPost(url, INITIALIZE, { authorization: `Bearer ${token}` })).status;
    expect(await at(stack.url)).toBe(200);
    expect(await at(`${stack.url}/weather`)).toBe(401);
  });
});
