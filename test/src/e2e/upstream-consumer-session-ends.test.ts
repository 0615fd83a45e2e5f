import { pollUntil } from "../support/bounded-wait";
import { clientToken, startOAuthProvider, type OAuthProvider } from "../support/oauth-provider";
import { startProtectedUpstream, type ProtectedUpstream } from "../support/protected-upstream";
import { metricValue, startGatewayStack, type GatewayStack } from "./gateway-stack";
import { connectClient, type ConnectedClient } from "./mcp-client";
import { deployments } from "./stack-modes";

jest.setTimeout(120_000);

// A consumer's backend session with a per-consumer (passthrough) server that goes idle ends without a consumer at
// hand: the gateway deliberately sends no DELETE (the discovery token never serves a consumer's session; the upstream's
// own idle timeout ends it). The metrics must say so (outcome not_sent), not count it as a failed ending.
const GATEWAY = "http://gateway.test/mcp";
const GATEWAY_CLIENT = {
  client_id: "mcp-gateway",
  client_secret: "gw-secret-session-ends-1c0d",
  grant_types: ["client_credentials"],
};
const ALICE = { client_id: "alice", client_secret: "alice-secret-5f3e", grant_types: ["client_credentials"] };

const modes = deployments();
afterAll(async () => {
  await modes.stop();
});

/** Every process's metrics text (router and broker apart, or the one process). */
async function metricsOf(stack: GatewayStack): Promise<string> {
  const urls = new Set([stack.routerMetricsUrl, `${stack.brokerBase}/metrics`]);
  const texts = await Promise.all([...urls].map(async (url) => (await fetch(url)).text()));
  return texts.join("\n");
}

describe.each(modes.all)("per-consumer backend sessions ended idle (%s)", (_label, mode) => {
  let provider: OAuthProvider;
  let upstream: ProtectedUpstream;
  let stack: GatewayStack;
  let alice: ConnectedClient | undefined;

  beforeAll(async () => {
    provider = await startOAuthProvider({ clients: [GATEWAY_CLIENT, ALICE], callerResource: GATEWAY });
    upstream = await startProtectedUpstream({ issuer: provider.issuer, jwksUrl: provider.jwksUrl, audience: GATEWAY });
    process.env["E2E_ENDS_SECRET"] = GATEWAY_CLIENT.client_secret;
    const discovery = `tokenUrl: "${provider.tokenUrl}", clientId: ${GATEWAY_CLIENT.client_id}, clientSecret: "\${env:E2E_ENDS_SECRET}", resource: "${GATEWAY}"`;
    stack = await startGatewayStack(await mode(), {
      extraServers: [
        `name: pt, url: "${upstream.url}", auth: { type: passthrough, audience: "${GATEWAY}", discovery: { ${discovery} } }`,
      ],
      access: `auth:
  jwt: { issuer: "${provider.issuer}", audience: "${GATEWAY}", jwksUrl: "${provider.jwksUrl}", algorithms: [RS256], defaultPolicy: everything }
policies:
  everything: { tools: ["*"], prompts: ["*"], resources: ["*"] }
`,
      sessions: "backendIdleTimeout: 1s",
    });
  });
  afterAll(async () => {
    await alice?.close();
    await stack?.stop();
    await upstream?.close();
    await provider?.close();
  });

  it("counts an idle per-consumer session it leaves to the upstream as not_sent, not as a failed ending", async () => {
    const token = await clientToken(provider, ALICE, GATEWAY);
    alice = await connectClient(stack.url, "alice-ends", { authorization: `Bearer ${token}` });
    expect((await alice.client.callTool({ name: "pt_server_info", arguments: {} })).isError).toBeFalsy();
    const notSent = { server: "pt", reason: "idle", outcome: "not_sent" };
    expect(
      await pollUntil(
        async () => metricValue(await metricsOf(stack), "mcp_gateway_backend_sessions_ended_total", notSent) >= 1,
        20_000,
      ),
    ).toBe(true);
    const text = await metricsOf(stack);
    expect(metricValue(text, "mcp_gateway_backend_session_end_failures_total", { server: "pt" })).toBe(0);
    // Nothing was sent without alice's token: no DELETE under another token, no request refused for lacking one.
    expect(upstream.seen.filter((seen) => seen.refused !== undefined)).toEqual([]);
    expect(upstream.seen.filter((seen) => seen.method === "DELETE" && seen.subject === "alice")).toEqual([]);
  });
});
