import { readFile, writeFile } from "node:fs/promises";
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { connectClient, type ConnectedClient } from "./mcp-client";
import { startGatewayStack, type GatewayStack } from "./gateway-stack";

jest.setTimeout(60_000);

let stack: GatewayStack;
let connected: ConnectedClient;

beforeAll(async () => {
  stack = await startGatewayStack({ kind: "envoy", store: "memory" });
  connected = await connectClient(stack.url);
});
afterAll(async () => {
  await connected?.close();
  await stack?.stop();
});

async function toolNames(): Promise<string[]> {
  return (await connected.client.listTools()).tools.map((t) => t.name);
}

async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("hot reload of the gateway config (real gateway process)", () => {
  it("applies a valid change live and tells connected clients their tool list changed", async () => {
    expect(await toolNames()).toContain("notes_add_note");
    const notified = new Promise<void>((resolve) =>
      connected.client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()),
    );
    const original = await readFile(stack.configPath, "utf8");
    await writeFile(
      stack.configPath,
      original.replace(`url: "${stack.notes.url}" }`, `url: "${stack.notes.url}", tools: { exclude: [add_note] } }`),
    );
    await notified;
    const names = await toolNames();
    expect(names).not.toContain("notes_add_note");
    // Only the filter changed: the notes upstream keeps its connection, so its other tools never leave the list.
    expect(names).toContain("notes_list_notes");
  });

  it("rejects an invalid change, says why, and keeps serving the last good config", async () => {
    const before = await toolNames();
    await writeFile(stack.configPath, "version: 1\nauth: none\nservers:\n  - { name: weather, url: not-a-url }\n");
    await eventually(
      async () => stack.gatewayOutput().includes("config reload rejected"),
      "the rejection to be logged",
    );
    expect(stack.gatewayOutput()).toContain("servers[0].url: expected an http(s) URL");
    expect(await toolNames()).toEqual(before);
  });
});
