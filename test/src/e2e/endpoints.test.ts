import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { REPO_ROOT } from "@mcp-gateway/example-kit";
import { DEMO_KEYS } from "@mcp-gateway/local-stack";
import { parse, stringify } from "yaml";
import { pollUntil } from "../support/bounded-wait";
import { connectClient, rawPost, resultJson, type ConnectedClient } from "./mcp-client";
import { startGatewayStack, type GatewayStack, type StackMode } from "./gateway-stack";

jest.setTimeout(90_000);

// Issue 17 item 3: /mcp/<server> serves one server unprefixed, a virtual server its curated selection, each at its
// own path, with the same authentication and policy as /mcp; a session serves only the endpoint that opened it.
const MODES: [string, StackMode][] = [
  ["standalone", { kind: "standalone" }],
  ["Envoy mode (real Envoy), router and broker in one process", { kind: "envoy", store: "memory" }],
];

const VIRTUAL = {
  name: "team",
  tools: [
    { server: "weather", name: "get_forecast", as: "forecast", description: "Tomorrow's weather, curated" },
    { server: "notes", name: "list_notes" },
  ],
};

/** examples/gateway.yaml's alice (weather only) and ops (everything), one virtual server, the audit log to `audit`. */
async function access(audit: string): Promise<string> {
  const example = parse(await readFile(resolve(REPO_ROOT, "examples/gateway.yaml"), "utf8")) as {
    auth: unknown;
    consumers: { name: string }[];
    policies: Record<string, unknown>;
  };
  const consumers = example.consumers.filter((c) => c.name === "alice" || c.name === "ops");
  const policies = { "weather-reader": example.policies["weather-reader"], operator: example.policies["operator"] };
  return stringify({
    auth: example.auth,
    consumers,
    policies,
    virtualServers: [VIRTUAL],
    audit: { file: { path: audit } },
  });
}

const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });
const call = (id: number, name: string, args: Record<string, unknown> = {}): string =>
  JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args } });

describe.each(MODES)("endpoints (%s)", (_label, mode) => {
  let stack: GatewayStack;
  let base: string;
  let dir: string;
  const clients: ConnectedClient[] = [];
  const connect = async (path: string, key: string): Promise<ConnectedClient> => {
    const connected = await connectClient(`${base}${path}`, "endpoints-e2e", bearer(key));
    clients.push(connected);
    return connected;
  };
  const toolNames = async (client: ConnectedClient): Promise<string[]> =>
    (await client.client.listTools()).tools.map((tool) => tool.name).sort();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "mcp-endpoints-"));
    stack = await startGatewayStack(mode, { access: await access(join(dir, "audit.log")) });
    base = stack.url.replace(/\/mcp$/, "");
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await stack.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** The audit events written so far. */
  const audited = async (): Promise<Record<string, unknown>[]> =>
    (await readFile(join(dir, "audit.log"), "utf8").catch(() => ""))
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line) as Record<string, unknown>);

  it("/mcp/<server> lists the server's tools unprefixed, and calls reach it", async () => {
    const weather = await connect("/mcp/weather", DEMO_KEYS.ops);
    const names = await toolNames(weather);
    expect(names).toContain("get_forecast");
    expect(names.some((name) => name.startsWith("weather_") || name.startsWith("notes_"))).toBe(false);
    const result = await weather.client.callTool({ name: "get_forecast", arguments: { city: "Paris" } });
    expect(result.isError).toBeFalsy();
    expect(JSON.stringify(resultJson(result))).toContain("Paris");
    await expect(weather.client.callTool({ name: "weather_get_forecast", arguments: {} })).rejects.toThrow(
      /unknown tool/,
    );
  });

  it("a virtual server lists exactly its picks, renamed and described, and routes a renamed tool", async () => {
    const team = await connect("/mcp/virtual/team", DEMO_KEYS.ops);
    const { tools } = await team.client.listTools();
    expect(tools.map((tool) => [tool.name, tool.description])).toEqual([
      ["forecast", "Tomorrow's weather, curated"],
      ["list_notes", expect.any(String)],
    ]);
    const result = await team.client.callTool({ name: "forecast", arguments: { city: "Lyon" } });
    expect(JSON.stringify(resultJson(result))).toContain("Lyon");
  });

  it("a consumer's policy applies at every endpoint: lists filtered, calls outside it 403", async () => {
    // A server outside the policy is no endpoint to it (security review F7): 404 as for one that does not exist.
    const notes = await rawPost(`${base}/mcp/notes`, call(7, "list_notes"), bearer(DEMO_KEYS.alice));
    expect(notes.status).toBe(404);
    expect(JSON.stringify(notes.json)).toContain('no MCP endpoint at \\"/mcp/notes\\"');
    const team = await connect("/mcp/virtual/team", DEMO_KEYS.alice);
    expect(await toolNames(team)).toEqual(["forecast"]);
    const deniedVirtual = await rawPost(`${base}/mcp/virtual/team`, call(8, "list_notes"), {
      ...bearer(DEMO_KEYS.alice),
      "mcp-session-id": team.transport.sessionId ?? "",
    });
    expect(deniedVirtual.status).toBe(403);
    const allowed = await team.client.callTool({ name: "forecast", arguments: { city: "Nice" } });
    expect(allowed.isError).toBeFalsy();
  });

  it("refuses a session at an endpoint other than the one that opened it (404: initialize again)", async () => {
    const aggregated = await connect("/mcp", DEMO_KEYS.ops);
    const reply = await rawPost(`${base}/mcp/weather`, call(9, "get_forecast", { city: "Paris" }), {
      ...bearer(DEMO_KEYS.ops),
      "mcp-session-id": aggregated.transport.sessionId ?? "",
    });
    expect(reply.status).toBe(404);
    expect(JSON.stringify(reply.json)).toContain("another endpoint");
    const list = await rawPost(
      `${base}/mcp/virtual/team`,
      JSON.stringify({ jsonrpc: "2.0", id: 10, method: "tools/list" }),
      {
        ...bearer(DEMO_KEYS.ops),
        "mcp-session-id": aggregated.transport.sessionId ?? "",
      },
    );
    expect(list.status).toBe(404);
  });

  it.each(["/mcp/nope", "/mcp/weather/", "/mcp/%77eather", "/MCP/weather", "/mcp/virtual/team/", "/mcp/constructor"])(
    "answers 404 with a clear message at %s",
    async (path) => {
      const reply = await rawPost(
        `${base}${path}`,
        JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }),
        bearer(DEMO_KEYS.ops),
      );
      expect(reply.status).toBe(404);
      expect(JSON.stringify(reply.json)).toMatch(/no (MCP )?endpoint at/);
    },
  );

  it("audits a call at each endpoint with that endpoint, naming the target as policies do", async () => {
    const weather = await connect("/mcp/weather", DEMO_KEYS.ops);
    const team = await connect("/mcp/virtual/team", DEMO_KEYS.ops);
    await weather.client.callTool({ name: "get_forecast", arguments: { city: "Oslo" } });
    await team.client.callTool({ name: "forecast", arguments: { city: "Bergen" } });
    const sessions = [weather, team].map((c) => c.transport.sessionId);
    // Only the allowed calls: an earlier test's refused call at /mcp/weather is audited too, and audit is written
    // asynchronously, so counting every call would stop polling before the second allowed one is in.
    const calls = async (): Promise<Record<string, unknown>[]> =>
      (await audited()).filter(
        (e) => e["method"] === "tools/call" && e["endpoint"] !== "/mcp" && e["decision"] === "allowed",
      );
    expect(await pollUntil(async () => (await calls()).length >= 2, 10_000)).toBe(true);
    expect(sessions.every((session) => session !== undefined)).toBe(true);
    expect((await calls()).map((e) => [e["endpoint"], e["target"], e["decision"]])).toEqual(
      expect.arrayContaining([
        ["/mcp/weather", "weather_get_forecast", "allowed"],
        ["/mcp/virtual/team", "weather_get_forecast", "allowed"],
      ]),
    );
  });
});
