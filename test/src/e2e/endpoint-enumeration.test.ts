import { DEMO_KEYS } from "@mcp-gateway/local-stack";
import { rawPost } from "./mcp-client";
import { startGatewayStack, type GatewayStack, type StackMode } from "./gateway-stack";

jest.setTimeout(90_000);

// Security review F7: which servers (endpoints) exist is told neither to a client without credentials (401 before any
// 404, the 401's challenge and the well-known metadata alike for any endpoint-shaped path) nor to a consumer at an
// endpoint its policy gives nothing at (answered exactly as one that does not exist).
const MODES: [string, StackMode][] = [
  ["standalone", { kind: "standalone" }],
  ["Envoy mode (real Envoy), router and broker in one process", { kind: "envoy", store: "memory" }],
];

// alice: weather only (examples/gateway.yaml's weather-reader); two virtual servers, one showing her something.
const ACCESS = `auth:
  apiKeys: { header: authorization }
  resourceMetadata: { authorizationServers: ["https://idp.example.com/"] }
consumers:
  - { name: alice, keyHash: "sha256:effb2e336c94b3c5b305f5f7d3ec94f33d6dc1ac58ab8aefaa9f98b986bbaa1e", policy: weather-reader }
policies:
  weather-reader: { servers: [weather], tools: ["weather_*"], prompts: [], resources: ["weather+*"] }
virtualServers:
  - { name: team, tools: [{ server: weather, name: get_forecast }, { server: notes, name: list_notes }] }
  - { name: notebook, tools: [{ server: notes, name: "*" }] }`;

const PING = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" });
const INITIALIZE = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "enumeration-e2e", version: "1" } },
});
const EXISTING = ["/mcp/weather", "/mcp/notes", "/mcp/virtual/team", "/mcp/virtual/notebook"];
const MISSING = ["/mcp/nope", "/mcp/virtual/nope", "/mcp/a/b/c/d"];

describe.each(MODES)("endpoint enumeration (%s)", (_label, mode) => {
  let stack: GatewayStack;
  let base: string;

  beforeAll(async () => {
    stack = await startGatewayStack(mode, { access: ACCESS });
    base = stack.url.replace(/\/mcp$/, "");
  });
  afterAll(async () => {
    await stack.stop();
  });

  /** The status, challenge and body of a POST, the path as sent replaced by `<path>`. */
  const answer = async (path: string, headers: Record<string, string> = {}): Promise<unknown> => {
    const reply = await rawPost(`${base}${path}`, PING, headers);
    const challenge = (reply.headers.get("www-authenticate") ?? "").replaceAll(path, "<path>");
    return { status: reply.status, challenge, body: JSON.stringify(reply.json).replaceAll(path, "<path>") };
  };

  it("asks for credentials first: every endpoint-shaped path gets the same 401, existing or not", async () => {
    const expected = await answer("/mcp/weather");
    expect(expected).toMatchObject({ status: 401, challenge: expect.stringContaining("<path>") });
    for (const path of [...EXISTING, ...MISSING]) expect(await answer(path)).toEqual(expected);
  });

  it("answers an endpoint the consumer's policy gives nothing at exactly as a missing one", async () => {
    const alice = { authorization: `Bearer ${DEMO_KEYS.alice}` };
    const missing = await answer("/mcp/nope", alice);
    expect(missing).toMatchObject({ status: 404, body: expect.stringContaining("no MCP endpoint at") });
    for (const path of ["/mcp/notes", "/mcp/virtual/notebook", "/mcp/virtual/nope"])
      expect(await answer(path, alice)).toEqual(missing);
    for (const path of ["/mcp/weather", "/mcp/virtual/team"]) {
      const reply = await rawPost(`${base}${path}`, INITIALIZE, alice);
      expect(reply.status).toBe(200);
    }
  });

  it("serves the same protected resource metadata for any endpoint-shaped path, existing or not", async () => {
    const metadata = async (path: string): Promise<unknown> => {
      const reply = await fetch(`${base}/.well-known/oauth-protected-resource${path}`);
      return { status: reply.status, body: (await reply.text()).replaceAll(path, "<path>") };
    };
    const expected = await metadata("/mcp/weather");
    expect(expected).toMatchObject({ status: 200, body: expect.stringContaining(`"resource":"${base}<path>"`) });
    for (const path of [...EXISTING, ...MISSING]) expect(await metadata(path)).toEqual(expected);
  });
});
