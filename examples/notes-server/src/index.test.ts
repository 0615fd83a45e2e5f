import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { FetchLike } from "@modelcontextprotocol/sdk/shared/transport.js";
import { ToolListChangedNotificationSchema, type CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { startServer, type RunningServer } from "./index";

interface Connected {
  client: Client;
  transport: StreamableHTTPClientTransport;
  /** Resolves once the client's standalone GET SSE stream (where list_changed arrives) is open. */
  streamOpen: Promise<void>;
  /** Resolves on the next notifications/tools/list_changed this client receives. */
  nextListChanged(): Promise<void>;
}

function textOf(result: unknown): string {
  const block = (result as CallToolResult).content[0];
  if (block?.type !== "text") throw new Error("expected a text block");
  return block.text;
}

async function toolNames(client: Client): Promise<string[]> {
  return (await client.listTools()).tools.map((t) => t.name).sort();
}

// The SDK client opens its GET stream in the background after initialize; a notification sent before it is open
// is dropped (no event store), so tests wait for it. This fetch wrapper is the only way to observe that moment.
function watchingStream(): { fetch: FetchLike; streamOpen: Promise<void> } {
  let opened: () => void = () => undefined;
  const streamOpen = new Promise<void>((resolve) => (opened = resolve));
  const watched: FetchLike = async (url, init) => {
    const res = await fetch(url, init);
    if (init?.method === "GET" && res.ok) opened();
    return res;
  };
  return { fetch: watched, streamOpen };
}

const MCP_HEADERS = { "content-type": "application/json", accept: "application/json, text/event-stream" };
const BASE_TOOLS = ["add_note", "disable_search", "enable_search", "list_notes", "server_info"];

describe("notes server", () => {
  let server: RunningServer;
  const clients: Client[] = [];

  async function connect(): Promise<Connected> {
    const client = new Client({ name: "notes-test", version: "0.0.0" });
    const { fetch, streamOpen } = watchingStream();
    const transport = new StreamableHTTPClientTransport(new URL(server.url), { fetch });
    let notify: () => void = () => undefined;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => notify());
    const nextListChanged = (): Promise<void> => new Promise((resolve) => (notify = resolve));
    clients.push(client);
    await client.connect(transport);
    return { client, transport, streamOpen, nextListChanged };
  }

  beforeEach(async () => {
    server = await startServer({ port: 0 });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await server.close();
  });

  it("starts with search off", async () => {
    const { client } = await connect();
    expect(await toolNames(client)).toEqual(BASE_TOOLS);
  });

  it("advertises tools.listChanged", async () => {
    const { client } = await connect();
    expect(client.getServerCapabilities()?.tools?.listChanged).toBe(true);
  });

  it("reports its name, the caller's session id and the live session count from server_info", async () => {
    await connect();
    const { client, transport } = await connect();
    const info = JSON.parse(textOf(await client.callTool({ name: "server_info" })));
    expect(info).toEqual({ server: "notes", sessionId: transport.sessionId, sessionCount: 2 });
  });

  it("shares notes between sessions", async () => {
    const a = await connect();
    const b = await connect();
    const added = JSON.parse(
      textOf(await a.client.callTool({ name: "add_note", arguments: { title: "t", text: "x" } })),
    );
    expect(added).toEqual({ id: 1, title: "t", text: "x" });
    expect(JSON.parse(textOf(await b.client.callTool({ name: "list_notes" })))).toEqual([added]);
  });

  it("returns an error result for invalid arguments", async () => {
    const { client } = await connect();
    const result = await client.callTool({ name: "add_note", arguments: { title: "" } });
    expect(result.isError).toBe(true);
  });

  it("notifies another session when enable_search adds search_notes, which then works there", async () => {
    const a = await connect();
    const b = await connect();
    await b.streamOpen;
    const changed = b.nextListChanged();
    await a.client.callTool({ name: "add_note", arguments: { title: "Groceries", text: "milk" } });
    const result = JSON.parse(textOf(await a.client.callTool({ name: "enable_search" })));
    expect(result).toEqual({ searchEnabled: true, sessionsChanged: 2 });
    await changed;
    expect(await toolNames(b.client)).toEqual([...BASE_TOOLS, "search_notes"].sort());
    const found = await b.client.callTool({ name: "search_notes", arguments: { query: "MILK" } });
    expect(JSON.parse(textOf(found))).toEqual([{ id: 1, title: "Groceries", text: "milk" }]);
  });

  it("notifies another session when disable_search removes search_notes", async () => {
    const a = await connect();
    const b = await connect();
    await a.client.callTool({ name: "enable_search" });
    await b.streamOpen;
    const changed = b.nextListChanged();
    await a.client.callTool({ name: "disable_search" });
    await changed;
    expect(await toolNames(b.client)).toEqual(BASE_TOOLS);
  });

  it("gives sessions opened after enable_search the search tool", async () => {
    const a = await connect();
    await a.client.callTool({ name: "enable_search" });
    const late = await connect();
    expect(await toolNames(late.client)).toContain("search_notes");
  });

  it("answers an unknown session with 404 Session not found", async () => {
    const res = await fetch(server.url, {
      method: "POST",
      headers: { ...MCP_HEADERS, "mcp-session-id": "no-such-session" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      jsonrpc: "2.0",
      error: { code: -32001, message: "Session not found" },
      id: null,
    });
  });
});
