import { hashApiKey } from "@mcp-gateway/core";
import { rawPost } from "./mcp-client";
import { startGatewayStack, type GatewayStack, type StackMode } from "./gateway-stack";

jest.setTimeout(90_000);

// Issue 17 item 3 with OAuth protected resource metadata (RFC 9728): every endpoint is its own protected resource.
// A 401 at /mcp/<server> or a virtual server's path points at metadata under that path (§3.1), and that metadata names
// exactly that endpoint's URL (§3.3), served through the gateway in both modes (under real Envoy in Envoy mode).
const MODES: [string, StackMode][] = [
  ["standalone", { kind: "standalone" }],
  ["Envoy mode (real Envoy), router and broker in one process", { kind: "envoy", store: "memory" }],
];

const KEY = "ops-key-0123456789abcdef0123456789abcd";
const IDP = "https://idp.example.com/";
const ACCESS = `auth:
  apiKeys: { header: authorization }
  resourceMetadata: { authorizationServers: ["${IDP}"] }
consumers: [{ name: ops, keyHash: "${hashApiKey(KEY)}", policy: ops }]
policies: { ops: { tools: ["*"], prompts: ["*"], resources: ["*"] } }
virtualServers: [{ name: team, tools: [{ server: weather, name: get_forecast }] }]
`;
const PING = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" });
const WELL_KNOWN = "/.well-known/oauth-protected-resource";

describe.each(MODES)("protected resource metadata per endpoint (%s)", (_label, mode) => {
  let stack: GatewayStack;
  let base: string;

  beforeAll(async () => {
    stack = await startGatewayStack(mode, { access: ACCESS });
    base = stack.url.replace(/\/mcp$/, "");
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it.each([
    ["/mcp", "missing credentials", {}],
    ["/mcp/weather", "missing credentials", {}],
    ["/mcp/virtual/team", "missing credentials", {}],
    ["/mcp/weather", "a wrong key", { authorization: "Bearer not-a-key" }],
  ])("a 401 at %s (%s) points at metadata naming that endpoint", async (path, _label, headers) => {
    const reply = await rawPost(`${base}${path}`, PING, headers);
    expect(reply.status).toBe(401);
    const challenge = reply.headers.get("www-authenticate") ?? "";
    const metadataUrl = /resource_metadata="([^"]+)"/.exec(challenge)?.[1];
    expect(metadataUrl).toBe(`${base}${WELL_KNOWN}${path}`);
    const metadata = await fetch(metadataUrl ?? "");
    expect(metadata.status).toBe(200);
    expect(await metadata.json()).toMatchObject({ resource: `${base}${path}`, authorization_servers: [IDP] });
  });

  // An endpoint-shaped path that names none gets metadata as if it did (security review F7, endpoint-enumeration.test.ts).
  it.each(["/mcp/weather/", "/mcp/%77eather", "/MCP/weather"])(
    "serves no metadata for %s (no endpoint's shape)",
    async (path) => {
      expect((await fetch(`${base}${WELL_KNOWN}${path}`)).status).toBe(404);
    },
  );
});
