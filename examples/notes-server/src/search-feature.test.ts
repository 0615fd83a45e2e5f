import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { NotesStore } from "./notes-store";
import { SEARCH_TOOL, SearchFeature } from "./search-feature";

// Unconnected servers: registering and removing tools works, notifications are skipped (nothing to send them on).
function newServer(): McpServer {
  return new McpServer({ name: "t", version: "0" });
}

function hasSearch(server: McpServer): boolean {
  // The tool registry is private; the public alternative (tools/list) needs a connected client, see index.test.ts.
  return SEARCH_TOOL in (server as unknown as { _registeredTools: Record<string, unknown> })._registeredTools;
}

describe("SearchFeature", () => {
  it("adds the tool to every given server once and reports how many changed", () => {
    const search = new SearchFeature(new NotesStore());
    const servers = [newServer(), newServer()];
    expect(search.enable(servers)).toBe(2);
    expect(search.enable(servers)).toBe(0);
    expect(search.enabled).toBe(true);
    expect(servers.map(hasSearch)).toEqual([true, true]);
  });

  it("removes the tool from every given server", () => {
    const search = new SearchFeature(new NotesStore());
    const servers = [newServer(), newServer()];
    search.enable(servers);
    expect(search.disable(servers)).toBe(2);
    expect(search.disable(servers)).toBe(0);
    expect(servers.map(hasSearch)).toEqual([false, false]);
  });

  it("gives an attached server the tool only while search is on", () => {
    const search = new SearchFeature(new NotesStore());
    const before = newServer();
    search.attach(before);
    search.enable([]);
    const after = newServer();
    search.attach(after);
    expect([hasSearch(before), hasSearch(after)]).toEqual([false, true]);
  });
});
