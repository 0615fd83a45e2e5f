import type { RunningProcess } from "@mcp-gateway/example-kit";
import { startServerEverything } from "@mcp-gateway/local-stack";
import { freePort } from "../support/redis-server";
import { connectClient } from "./mcp-client";
import { startGatewayStack, type GatewayStack, type StackMode } from "./gateway-stack";

jest.setTimeout(60_000);

// servers[].timeout bounds a whole call to that server: Envoy's route timeout in Envoy mode, the forwarder's deadline
// standalone. A call past it gets 504; other servers and quicker calls are unaffected.
describe.each<[string, StackMode]>([
  ["Envoy mode", { kind: "envoy", store: "memory" }],
  ["standalone", { kind: "standalone" }],
])("per-server upstream timeout (%s)", (_label, mode) => {
  let everything: RunningProcess;
  let stack: GatewayStack;

  beforeAll(async () => {
    const port = await freePort();
    everything = await startServerEverything(port);
    stack = await startGatewayStack(mode, {
      extraServers: [`name: everything, url: "http://127.0.0.1:${port}/mcp", timeout: 1s`],
    });
  });
  afterAll(async () => {
    await stack.stop();
    await everything.stop();
  });

  it("ends a call that outlasts the server's timeout: 504 before the reply starts, a cut stream after", async () => {
    const { transport } = await connectClient(stack.url);
    const response = await fetch(stack.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-session-id": transport.sessionId ?? "",
      },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 3,
        method: "tools/call",
        params: { name: "everything_trigger-long-running-operation", arguments: { duration: 3, steps: 3 } },
      }),
    });
    // server-everything answers this call as an SSE stream at once, so the bound usually cuts a started stream.
    const body = await response.text().catch(() => "cut");
    expect(response.status === 504 || body === "cut").toBe(true);
    // No result: the bound cut the 3 s operation (the status or the cut stream says how); no timing assertion.
    expect(body).not.toContain('"result"');
  });

  it("lets a quick call to the same server through", async () => {
    const { client } = await connectClient(stack.url);
    const result = await client.callTool({ name: "everything_echo", arguments: { message: "in time" } });
    expect(result).toMatchObject({ content: [{ type: "text", text: "Echo: in time" }] });
  });
});
