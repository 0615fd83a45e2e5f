import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { DEMO_KEYS, startLocalStack, STACK_PORTS, type LocalStack } from "./local-stack";

jest.setTimeout(60_000);

// What `npm start` runs, on its real ports (8080, 9101-9103), with examples/gateway.yaml; needs a build (npm test does).
let stack: LocalStack;
let client: Client;

beforeAll(async () => {
  stack = await startLocalStack();
  client = new Client({ name: "npm-start-check", version: "1.0.0" });
  // The gateway lists an upstream once it is ready; connect only when all three are.
  for (let i = 0; i < 100; i++) {
    const status = (await (await fetch(`http://127.0.0.1:${STACK_PORTS.gateway}/status`)).json()) as {
      upstreams: { state: string }[];
    };
    if (status.upstreams.every((u) => u.state === "ready")) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const headers = { authorization: `Bearer ${DEMO_KEYS.ops}` };
  await client.connect(new StreamableHTTPClientTransport(new URL(stack.gatewayUrl), { requestInit: { headers } }));
});
afterAll(async () => {
  await client?.close();
  await stack?.stop();
});

describe("the local stack of npm start", () => {
  it("serves the gateway at http://127.0.0.1:8080/mcp", () => {
    expect(stack.gatewayUrl).toBe("http://127.0.0.1:8080/mcp");
  });

  it("lists everything_echo and the example servers' tools", async () => {
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(
      expect.arrayContaining(["everything_echo", "everything_get-sum", "weather_get_forecast", "notes_add_note"]),
    );
  });

  it("returns server-everything's results for everything_echo and everything_get-sum", async () => {
    expect(await client.callTool({ name: "everything_echo", arguments: { message: "npm start" } })).toMatchObject({
      content: [{ type: "text", text: "Echo: npm start" }],
    });
    expect(await client.callTool({ name: "everything_get-sum", arguments: { a: 20, b: 22 } })).toMatchObject({
      content: [{ type: "text", text: "The sum of 20 and 22 is 42." }],
    });
  });

  it("refuses a client without an API key with 401 and a WWW-Authenticate challenge", async () => {
    const response = await fetch(stack.gatewayUrl, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }),
    });
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toContain("resource_metadata=");
  });

  it("shows alice (a demo key) only the weather tools", async () => {
    const alice = new Client({ name: "alice", version: "1.0.0" });
    const headers = { authorization: `Bearer ${DEMO_KEYS.alice}` };
    await alice.connect(new StreamableHTTPClientTransport(new URL(stack.gatewayUrl), { requestInit: { headers } }));
    const names = (await alice.listTools()).tools.map((t) => t.name);
    await alice.close();
    expect(names.length).toBeGreaterThan(0);
    expect(names.every((name) => name.startsWith("weather_"))).toBe(true);
  });

  it("returns an error for an unknown tool", async () => {
    await expect(client.callTool({ name: "everything_missing", arguments: {} })).rejects.toThrow(
      'unknown tool: "everything_missing"',
    );
  });
});
