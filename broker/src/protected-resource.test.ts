import { hashApiKey } from "@mcp-gateway/core";
import { startServer as startWeather, type RunningServer } from "../../examples/weather-server/src/index";
import { gatewayYaml, postMcp, startBroker, type RunningBroker } from "./testing/broker-fixture";

// OAuth protected resource metadata (RFC 9728) is advertised only when authorization servers are configured: an empty
// `authorization_servers` made MCP clients (the Inspector 2.x) start an OAuth flow although an API key was all they
// needed.
const KEY = "mcpgw_protected_resource_test_0123456789";
const access = (resourceMetadata: string): string =>
  `auth: { apiKeys: {}${resourceMetadata} }
consumers: [{ name: alice, keyHash: "${hashApiKey(KEY)}", policy: all }]
policies: { all: { tools: ["*"] } }`;
const ping = { jsonrpc: "2.0", id: 1, method: "ping" };
const WELL_KNOWN = ["/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"];

let weather: RunningServer;
beforeAll(async () => {
  weather = await startWeather({ port: 0 });
});
afterAll(async () => {
  await weather.close();
});

describe.each([
  ["API keys only", ""],
  ["a resource but no authorization server", `, resourceMetadata: { resource: "https://mcp.example.com/mcp" }`],
])("standalone gateway with %s", (_label, resourceMetadata) => {
  let gateway: RunningBroker;
  beforeAll(async () => {
    const yaml = gatewayYaml([{ name: "weather", url: weather.url }], access(resourceMetadata));
    gateway = await startBroker(yaml, { standalone: true });
  });
  afterAll(() => gateway.close());

  it.each(WELL_KNOWN)("answers %s with 404", async (path) => {
    expect((await fetch(`${gateway.base}${path}`)).status).toBe(404);
  });

  it("challenges a request without a key with a plain Bearer, no resource_metadata", async () => {
    const reply = await postMcp(gateway.mcpUrl, ping);
    expect(reply.status).toBe(401);
    expect(reply.headers.get("www-authenticate")).toBe("Bearer");
  });
});

describe("standalone gateway with an authorization server", () => {
  let gateway: RunningBroker;
  beforeAll(async () => {
    const servers = `, resourceMetadata: { authorizationServers: ["https://idp.example.com/"] }`;
    const team = `\nvirtualServers: [{ name: team, tools: [{ server: weather, name: get_forecast }] }]`;
    gateway = await startBroker(gatewayYaml([{ name: "weather", url: weather.url }], access(servers) + team), {
      standalone: true,
    });
  });
  afterAll(() => gateway.close());

  it("names the metadata in the challenge, and the metadata lists the authorization server", async () => {
    const reply = await postMcp(gateway.mcpUrl, ping);
    expect(reply.status).toBe(401);
    const metadataUrl = /resource_metadata="([^"]+)"/.exec(reply.headers.get("www-authenticate") ?? "")?.[1] ?? "";
    expect(metadataUrl).toBe(`${gateway.base}/.well-known/oauth-protected-resource/mcp`);
    const metadata = (await (await fetch(metadataUrl)).json()) as Record<string, unknown>;
    expect(metadata).toMatchObject({
      resource: gateway.mcpUrl,
      authorization_servers: ["https://idp.example.com/"],
      bearer_methods_supported: ["header"],
    });
  });

  // RFC 9728 §3.1 and §3.3: each endpoint is its own resource, its metadata under its own path naming it exactly.
  // Security review F7: a path of an endpoint's shape that names none is answered alike, so neither tells which exist.
  it.each(["/mcp/weather", "/mcp/virtual/team", "/mcp/nope", "/mcp/virtual/nope"])(
    "at %s, a 401 points at metadata naming that endpoint",
    async (path) => {
      const reply = await postMcp(`${gateway.base}${path}`, ping);
      expect(reply.status).toBe(401);
      const metadataUrl = /resource_metadata="([^"]+)"/.exec(reply.headers.get("www-authenticate") ?? "")?.[1] ?? "";
      expect(metadataUrl).toBe(`${gateway.base}/.well-known/oauth-protected-resource${path}`);
      const metadata = (await (await fetch(metadataUrl)).json()) as Record<string, unknown>;
      expect(metadata).toMatchObject({ resource: `${gateway.base}${path}`, authorization_servers: expect.any(Array) });
    },
  );

  it.each(["/mcp/weather/", "/mcp/%77eather", "/MCP/weather", "/other"])(
    "has no metadata for %s, which has no endpoint's shape",
    async (path) => {
      expect((await fetch(`${gateway.base}/.well-known/oauth-protected-resource${path}`)).status).toBe(404);
    },
  );
});
