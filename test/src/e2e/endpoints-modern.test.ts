import { hashApiKey } from "@mcp-gateway/core";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { LINK, startModernUpstream, type ModernUpstream } from "../support/modern-upstream";
import { connectClient } from "./mcp-client";
import { startGatewayStack, type GatewayStack, type StackMode } from "./gateway-stack";

jest.setTimeout(90_000);

// Issue 17 item 3 for 2026-07-28 clients: /mcp/<server> and a virtual server serve the modern protocol too, lists
// and calls, with the endpoint's own names and URIs in lists AND in results (the 2025 upstream's reply is bridged).
const MODES: [string, StackMode][] = [
  ["standalone", { kind: "standalone" }],
  ["Envoy mode (real Envoy), router and broker in one process", { kind: "envoy", store: "memory" }],
];

const KEY = "ops-key-0123456789abcdef0123456789abcd";
const ACCESS = `auth: { apiKeys: { header: authorization } }
consumers: [{ name: ops, keyHash: "${hashApiKey(KEY)}", policy: ops }]
policies: { ops: { tools: ["*"], prompts: ["*"], resources: ["*"] } }
virtualServers:
  - name: team
    tools: [{ server: weather, name: get_forecast, as: forecast }, { server: notes, name: list_notes }]
    resources: [{ server: weather, uri: "weather://cities" }]
`;
const TIMEOUT = { timeout: 10_000 };

const textOf = (result: { content?: unknown }): string =>
  ((result.content as { type: string; text?: string }[] | undefined) ?? []).map((c) => c.text ?? "").join("");

describe.each(MODES)("2026-07-28 clients at /mcp/<server> and a virtual server (%s)", (_label, mode) => {
  let stack: GatewayStack;
  let base: string;
  let upstream: ModernUpstream;
  const clients: Client[] = [];
  const connect = async (path: string): Promise<Client> => {
    const client = new Client(
      { name: "endpoints-modern", version: "1.0.0" },
      { capabilities: {}, versionNegotiation: { mode: { pin: "2026-07-28" } } },
    );
    const headers = { authorization: `Bearer ${KEY}` };
    await client.connect(new StreamableHTTPClientTransport(new URL(`${base}${path}`), { requestInit: { headers } }));
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    upstream = await startModernUpstream({ name: "memos", tools: [LINK] });
    stack = await startGatewayStack(mode, {
      access: ACCESS,
      extraServers: [`name: memos, url: "${upstream.url}", prefix: memos_`],
    });
    base = stack.url.replace(/\/mcp$/, "");
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
    await stack?.stop();
    await upstream?.close();
  });

  it("/mcp/weather lists and calls unprefixed, and reads a resource by its own URI, answered with that URI", async () => {
    const weather = await connect("/mcp/weather");
    const tools = (await weather.listTools(undefined, TIMEOUT)).tools.map((tool) => tool.name);
    expect(tools).toEqual(expect.arrayContaining(["get_forecast", "get_alerts"]));
    expect(tools.some((name) => name.startsWith("weather_"))).toBe(false);
    const result = await weather.callTool({ name: "get_forecast", arguments: { city: "Paris" } }, TIMEOUT);
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toContain("Paris");
    const resources = (await weather.listResources(undefined, TIMEOUT)).resources.map((r) => r.uri);
    expect(resources).toContain("weather://cities");
    const read = await weather.readResource({ uri: "weather://cities" }, TIMEOUT);
    expect(read.contents.map((content) => content.uri)).toEqual(["weather://cities"]);
  });

  it("a virtual server lists its picks under their names and routes a renamed tool", async () => {
    const team = await connect("/mcp/virtual/team");
    const tools = (await team.listTools(undefined, TIMEOUT)).tools.map((tool) => tool.name);
    expect(tools).toEqual(["forecast", "list_notes"]);
    const result = await team.callTool({ name: "forecast", arguments: { city: "Lyon" } }, TIMEOUT);
    expect(textOf(result)).toContain("Lyon");
    // A virtual server offers resources under their aggregated URIs (several servers' URIs could collide).
    const read = await team.readResource({ uri: "weather+weather://cities" }, TIMEOUT);
    expect(read.contents.map((content) => content.uri)).toEqual(["weather+weather://cities"]);
  });

  // The resource URIs a 2026 upstream's results name, bridged to a 2025 client: the endpoint's own form.
  it.each([
    ["/mcp/memos", "link", "memo://a"],
    ["/mcp", "memos_link", "memos+memo://a"],
  ])("a 2025 client at %s gets a 2026 upstream's resource link as that endpoint names it", async (path, tool, uri) => {
    const legacy = await connectClient(`${base}${path}`, "endpoints-legacy", { authorization: `Bearer ${KEY}` });
    try {
      const result = await legacy.client.callTool({ name: tool, arguments: { text: "a" } });
      expect((result.content as { uri?: string }[]).map((block) => block.uri)).toEqual([uri]);
    } finally {
      await legacy.close();
    }
  });

  it("a 2026 client at /mcp/memos gets the 2026 upstream's resource link unprefixed", async () => {
    const memos = await connect("/mcp/memos");
    const result = await memos.callTool({ name: "link", arguments: { text: "b" } }, TIMEOUT);
    expect((result.content as { uri?: string }[]).map((block) => block.uri)).toEqual(["memo://b"]);
  });
});
