import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ElicitRequestSchema, type CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { deployments } from "./stack-modes";
import { startGatewayStack, type GatewayStack } from "./gateway-stack";
import { startModernUpstream, WIPE, type ModernUpstream } from "../support/modern-upstream";

jest.setTimeout(90_000);

// A legacy (2025, session) client calling a 2026 upstream through the gateway, in every deployment: the call goes to
// the upstream statelessly, and each request its input_required results embed reaches the client as an ordinary
// server-to-client request (elicitation) on the call's stream, the answers going back in the upstream's retry.
const modes = deployments();
afterAll(async () => {
  await modes.stop();
});

async function legacyClient(url: string, answers: Record<string, unknown>[]) {
  const client = new Client({ name: "legacy-e2e", version: "1.0.0" }, { capabilities: { elicitation: {} } });
  const asked: { id: unknown; message: string }[] = [];
  client.setRequestHandler(ElicitRequestSchema, (request, extra) => {
    asked.push({ id: extra.requestId, message: String(request.params.message) });
    return { action: "accept", content: answers.shift() as never };
  });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return { client, asked };
}

describe.each(modes.all)("legacy client to a 2026 upstream (%s)", (_label, mode) => {
  let upstream: ModernUpstream;
  let stack: GatewayStack;

  beforeAll(async () => {
    upstream = await startModernUpstream({
      tools: [
        { name: "echo", inputSchema: { type: "object", properties: { text: { type: "string" } } } },
        { name: WIPE, inputSchema: { type: "object", properties: {} } },
      ],
    });
    stack = await startGatewayStack(await mode(), { extraServers: [`name: fresh, url: "${upstream.url}"`] });
  });
  afterAll(async () => {
    await stack.stop();
    await upstream.close();
  });

  it("calls the 2026 upstream without a session and returns its result", async () => {
    const { client } = await legacyClient(stack.url, []);
    try {
      const result = (await client.callTool({ name: "fresh_echo", arguments: { text: "old" } })) as CallToolResult;
      expect(result.content).toEqual([{ type: "text", text: "echo: old" }]);
      const call = upstream.requests.find((r) => r.method === "tools/call" && r.params["name"] === "echo");
      expect(call?.headers["mcp-session-id"]).toBeUndefined();
      expect(call?.headers).toMatchObject({ "mcp-protocol-version": "2026-07-28", "mcp-name": "echo" });
      expect(call?.params["_meta"]).toMatchObject({ "io.modelcontextprotocol/protocolVersion": "2026-07-28" });
    } finally {
      await client.close();
    }
  });

  it("relays two rounds of input_required as elicitation requests and returns the final result", async () => {
    const { client, asked } = await legacyClient(stack.url, [{ confirm: true }, { scope: "all" }]);
    try {
      const result = (await client.callTool({ name: `fresh_${WIPE}`, arguments: {} })) as CallToolResult;
      expect(result.content).toEqual([{ type: "text", text: "Wiped all" }]);
      expect(asked.map((a) => a.message)).toEqual(["Really wipe?", "Which scope?"]);
      for (const { id } of asked) expect(String(id)).toMatch(/^mcpgw:fresh:"[A-Za-z0-9_-]{16}\.[0-9a-f-]{36}"$/);
      const rounds = upstream.requests.filter((r) => r.method === "tools/call" && r.params["name"] === WIPE);
      expect(rounds.map((r) => r.params["requestState"])).toEqual([undefined, undefined, "confirmed"]);
    } finally {
      await client.close();
    }
  });

  it("takes the answer to a relayed request only from the gateway session it was sent to", async () => {
    const intruder = await legacyClient(stack.url, []);
    const intruderSession = (intruder.client.transport as StreamableHTTPClientTransport).sessionId ?? "";
    const statuses: number[] = [];
    const victim = new Client({ name: "legacy-e2e", version: "1.0.0" }, { capabilities: { elicitation: {} } });
    victim.setRequestHandler(ElicitRequestSchema, async (request, extra) => {
      // Another session answers first, with the very id the gateway gave the victim's request.
      const forged = request.params.message === "Really wipe?" ? { confirm: true } : { scope: "forged" };
      const reply = await fetch(stack.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          "mcp-session-id": intruderSession,
          "mcp-protocol-version": "2025-11-25",
        },
        body: JSON.stringify({ jsonrpc: "2.0", id: extra.requestId, result: { action: "accept", content: forged } }),
      });
      statuses.push(reply.status);
      return {
        action: "accept",
        content: request.params.message === "Really wipe?" ? { confirm: true } : { scope: "mine" },
      };
    });
    await victim.connect(new StreamableHTTPClientTransport(new URL(stack.url)));
    try {
      const result = (await victim.callTool({ name: `fresh_${WIPE}`, arguments: {} })) as CallToolResult;
      expect(result.content).toEqual([{ type: "text", text: "Wiped mine" }]);
      // Accepted and dropped like any stray response: nothing waited under that id for the intruder's session.
      expect(statuses).toEqual([202, 202]);
    } finally {
      await victim.close();
      await intruder.client.close();
    }
  });
});
