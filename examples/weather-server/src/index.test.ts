import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { forecastFor, startServer, type RunningServer } from "./index";

interface Connected {
  client: Client;
  transport: StreamableHTTPClientTransport;
}

function textOf(result: unknown): string {
  const block = (result as CallToolResult).content[0];
  if (block?.type !== "text") throw new Error("expected a text block");
  return block.text;
}

const MCP_HEADERS = { "content-type": "application/json", accept: "application/json, text/event-stream" };
const TOOLS_LIST = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" });

describe("weather server", () => {
  let server: RunningServer;
  const clients: Client[] = [];

  async function connect(): Promise<Connected> {
    const client = new Client({ name: "weather-test", version: "0.0.0" });
    const transport = new StreamableHTTPClientTransport(new URL(server.url));
    clients.push(client);
    await client.connect(transport);
    return { client, transport };
  }

  beforeEach(async () => {
    server = await startServer({ port: 0 });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await server.close();
  });

  it("listens on 127.0.0.1 at /mcp on the port it reports", () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/mcp`);
    expect(server.port).toBeGreaterThan(0);
  });

  it("lists its tools, prompt and resource", async () => {
    const { client } = await connect();
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(["get_alerts", "get_forecast", "server_info"]);
    expect((await client.listPrompts()).prompts.map((p) => p.name)).toEqual(["weather_report"]);
    const { contents } = await client.readResource({ uri: "weather://cities" });
    expect(contents[0]).toMatchObject({ uri: "weather://cities", text: expect.stringContaining("Oslo") });
  });

  it("reports its name, the caller's session id and the live session count from server_info", async () => {
    const first = await connect();
    const second = await connect();
    const info = JSON.parse(textOf(await second.client.callTool({ name: "server_info" })));
    expect(info).toEqual({ server: "weather", sessionId: second.transport.sessionId, sessionCount: 2 });
    expect(info.sessionId).not.toBe(first.transport.sessionId);
  });

  it("forgets a session once the client deletes it", async () => {
    const first = await connect();
    const second = await connect();
    await first.transport.terminateSession();
    const info = JSON.parse(textOf(await second.client.callTool({ name: "server_info" })));
    expect(info.sessionCount).toBe(1);
  });

  it("answers get_forecast with the deterministic forecast", async () => {
    const { client } = await connect();
    const result = await client.callTool({ name: "get_forecast", arguments: { city: "Oslo", days: 2 } });
    expect(JSON.parse(textOf(result))).toEqual(forecastFor("Oslo", 2));
  });

  it("defaults get_forecast to three days", async () => {
    const { client } = await connect();
    const result = await client.callTool({ name: "get_forecast", arguments: { city: "Tokyo" } });
    expect(JSON.parse(textOf(result)).days).toHaveLength(3);
  });

  it("answers get_alerts for a region", async () => {
    const { client } = await connect();
    const result = await client.callTool({ name: "get_alerts", arguments: { region: "Alps" } });
    expect(JSON.parse(textOf(result))).toEqual({ region: "Alps", alerts: expect.any(Array) });
  });

  it("returns an error result for invalid arguments", async () => {
    const { client } = await connect();
    const result = await client.callTool({ name: "get_forecast", arguments: { city: "Oslo", days: 9 } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/invalid/i);
  });

  it.each(["POST", "GET", "DELETE"])("answers %s on an unknown session with 404 Session not found", async (method) => {
    const res = await fetch(server.url, {
      method,
      headers: { ...MCP_HEADERS, "mcp-session-id": "no-such-session" },
      ...(method === "POST" ? { body: TOOLS_LIST } : {}),
    });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      jsonrpc: "2.0",
      error: { code: -32001, message: "Session not found" },
      id: null,
    });
  });

  it("answers a session-less POST that is not initialize with 400", async () => {
    const res = await fetch(server.url, { method: "POST", headers: MCP_HEADERS, body: TOOLS_LIST });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ jsonrpc: "2.0", error: { code: -32000 }, id: null });
  });

  it("closes promptly while a client still holds an open session and SSE stream", async () => {
    const { client } = await connect();
    await server.close();
    await expect(client.callTool({ name: "server_info" })).rejects.toThrow();
  });
});
