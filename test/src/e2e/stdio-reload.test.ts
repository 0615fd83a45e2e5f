import { readFile, writeFile } from "node:fs/promises";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { pollUntil } from "../support/bounded-wait";
import { freePort } from "../support/redis-server";
import { startGatewayStack, type GatewayStack } from "./gateway-stack";
import { connectClient, type ConnectedClient } from "./mcp-client";
import { deployments } from "./stack-modes";
import { stdioServerScript } from "./stdio-stack";

// A process started without any stdio server (so without a bridge) gets its first one by a config reload: the bridge
// starts then, the server is listed and called, and nothing is left for a restart.

jest.setTimeout(120_000);

const modes = deployments();
afterAll(() => modes.stop());

describe.each(modes.all)("the first stdio server added by reload (%s)", (_label, mode) => {
  let stack: GatewayStack;
  let client: ConnectedClient;
  beforeAll(async () => {
    const bridge = await freePort();
    stack = await startGatewayStack(await mode(), {
      access: `auth: none\nstdioBridge: { listen: "127.0.0.1:${String(bridge)}" }`,
    });
    client = await connectClient(stack.url);
  });
  afterAll(async () => {
    await client?.close();
    await stack?.stop();
  });

  it("starts the bridge on reload, lists and calls the new server, and needs no restart", async () => {
    expect(stack.gatewayOutput()).not.toContain("stdio bridge listening");
    const original = await readFile(stack.configPath, "utf8");
    const entry = `  - { name: everything, command: ${JSON.stringify(process.execPath)}, args: ["${stdioServerScript("server-everything")}", stdio] }\n`;
    const withStdio = original.replace(/^sessions:/m, `${entry}sessions:`);
    expect(withStdio).not.toEqual(original);
    await writeFile(stack.configPath, withStdio);
    const listed = async (): Promise<boolean> =>
      (await client.client.listTools()).tools.some((tool) => tool.name === "everything_echo");
    expect(await pollUntil(listed, 30_000, 200)).toBe(true);
    expect(stack.gatewayOutput()).toContain("stdio bridge listening");
    const echo = (await client.client.callTool({
      name: "everything_echo",
      arguments: { message: "added by reload" },
    })) as CallToolResult;
    expect(echo.content[0]).toEqual({ type: "text", text: "Echo: added by reload" });
    const status = (await (await fetch(`${stack.brokerBase}/status`)).json()) as {
      upstreams: { name: string; state: string }[];
      restartRequired: string[];
    };
    expect(status.upstreams).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: "everything", state: "ready" })]),
    );
    expect(status.restartRequired).toEqual([]);
  });
});
