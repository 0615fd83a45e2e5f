import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { RunningProcess } from "@mcp-gateway/example-kit";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { startServerEverything } from "@mcp-gateway/local-stack";
import { freePort } from "../support/redis-server";
import { connectClient, rawPost, type ConnectedClient } from "./mcp-client";
import { startGatewayStack, type GatewayStack } from "./gateway-stack";

jest.setTimeout(60_000);

let everything: RunningProcess;
let slow: Server;
let stack: GatewayStack;
let connected: ConnectedClient;

/**
 * A stateless MCP upstream answering with plain JSON (so its response headers wait for the result): `quick` answers,
 * `hang` never does, and the gateway's upstream timeout must end that call.
 */
async function startSlowUpstream(): Promise<Server> {
  const server = createServer((request, response) => {
    const mcp = new McpServer({ name: "slow", version: "1.0.0" });
    mcp.registerTool("quick", { description: "answers at once" }, () => ({
      content: [{ type: "text", text: "quick" }],
    }));
    mcp.registerTool("hang", { description: "never answers" }, () => new Promise<never>(() => undefined));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    response.on("close", () => void transport.close());
    void mcp.connect(transport).then(() => transport.handleRequest(request, response));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}

beforeAll(async () => {
  const everythingPort = await freePort();
  everything = await startServerEverything(everythingPort);
  slow = await startSlowUpstream();
  stack = await startGatewayStack(
    { kind: "standalone" },
    {
      extraServers: [
        `name: everything, url: "http://127.0.0.1:${everythingPort}/mcp", tools: { exclude: [get-env] }`,
        `name: slow, url: "http://127.0.0.1:${(slow.address() as AddressInfo).port}/mcp"`,
      ],
      limits: "upstreamTimeout: 1s",
    },
  );
  connected = await connectClient(stack.url);
});
afterAll(async () => {
  await connected?.close();
  await stack?.stop();
  await everything?.stop();
  slow?.closeAllConnections();
  await new Promise((resolve) => slow?.close(resolve));
});

describe("standalone gateway in front of @modelcontextprotocol/server-everything", () => {
  it("lists everything_* next to the example servers' tools, without the excluded get-env", async () => {
    const names = (await connected.client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(
      expect.arrayContaining(["everything_echo", "everything_get-sum", "weather_get_forecast", "notes_add_note"]),
    );
    expect(names).not.toContain("everything_get-env");
  });

  it("returns the upstream's results for everything_echo and everything_get-sum", async () => {
    expect(await connected.client.callTool({ name: "everything_echo", arguments: { message: "hi" } })).toMatchObject({
      content: [{ type: "text", text: "Echo: hi" }],
    });
    expect(await connected.client.callTool({ name: "everything_get-sum", arguments: { a: 2, b: 40 } })).toMatchObject({
      content: [{ type: "text", text: "The sum of 2 and 40 is 42." }],
    });
  });

  it("relays every progress notification of a long call (SSE streamed through the forwarder)", async () => {
    const progress: number[] = [];
    const result = await connected.client.callTool(
      { name: "everything_trigger-long-running-operation", arguments: { duration: 1, steps: 4 } },
      undefined,
      { onprogress: (p) => progress.push(p.progress) },
    );
    expect(progress).toEqual([1, 2, 3, 4]);
    expect(JSON.stringify(result)).toContain("completed");
  });

  it("answers an unknown tool with a JSON-RPC error naming it", async () => {
    await expect(connected.client.callTool({ name: "everything_nope", arguments: {} })).rejects.toThrow(
      'unknown tool: "everything_nope"',
    );
  });
});

describe("standalone gateway with failing upstreams", () => {
  it("answers a call to an upstream that went down with 502 and a JSON-RPC error, and keeps serving", async () => {
    const session = connected.transport.sessionId ?? "";
    await connected.client.callTool({ name: "weather_server_info", arguments: {} });
    await stack.weather.stop();
    const body = JSON.stringify({
      jsonrpc: "2.0",
      id: 3,
      method: "tools/call",
      params: { name: "weather_server_info", arguments: {} },
    });
    const reply = await rawPost(stack.url, body, { "mcp-session-id": session, "mcp-protocol-version": "2025-06-18" });
    expect(reply.status).toBe(502);
    expect(reply.json).toMatchObject({
      id: 3,
      error: { code: -31001, message: expect.stringContaining('upstream "weather"') },
    });
    const still = await connected.client.callTool({ name: "everything_echo", arguments: { message: "still here" } });
    expect(still.content).toEqual([{ type: "text", text: "Echo: still here" }]);
    await stack.restartWeather();
  });

  it("ends a call to an upstream that never answers after the upstream timeout (504, -31004)", async () => {
    const started = Date.now();
    const reply = await rawPost(
      stack.url,
      JSON.stringify({ jsonrpc: "2.0", id: 4, method: "tools/call", params: { name: "slow_hang", arguments: {} } }),
      {
        "mcp-session-id": connected.transport.sessionId ?? "",
        "mcp-protocol-version": "2025-06-18",
      },
    );
    expect(reply.status).toBe(504);
    expect(reply.json).toMatchObject({
      id: 4,
      error: { code: -31004, message: expect.stringContaining('upstream "slow"') },
    });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("serves a stateless upstream (no session id) through the same path", async () => {
    expect(await connected.client.callTool({ name: "slow_quick", arguments: {} })).toMatchObject({
      content: [{ type: "text", text: "quick" }],
    });
  });
});
