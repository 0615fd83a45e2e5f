import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { jsonResult } from "@mcp-gateway/example-kit";
import type { NotesStore } from "./notes-store";
import type { SearchFeature } from "./search-feature";
import type { LiveSessions } from "@mcp-gateway/example-kit";

/** Name reported by `server_info`, in the MCP `serverInfo` and in the ready line. */
export const NOTES_SERVER_NAME = "notes";

/** State shared by every session of one notes server. */
export interface NotesDeps {
  store: NotesStore;
  search: SearchFeature;
}

/** Builds the McpServer of one notes session; `search_notes` is included if search is currently on. */
export function createNotesMcpServer(deps: NotesDeps, sessions: LiveSessions): McpServer {
  // listChanged is what the SDK advertises anyway once a tool exists; stated because this server depends on it.
  const server = new McpServer(
    { name: NOTES_SERVER_NAME, version: "0.1.0" },
    { capabilities: { tools: { listChanged: true } } },
  );
  registerNoteTools(server, deps.store);
  registerSearchSwitch(server, deps.search, sessions);
  server.registerTool("server_info", { description: "Which server and which session this call reached." }, (extra) =>
    jsonResult({ server: NOTES_SERVER_NAME, sessionId: extra.sessionId, sessionCount: sessions.count() }),
  );
  deps.search.attach(server);
  return server;
}

function registerNoteTools(server: McpServer, store: NotesStore): void {
  server.registerTool(
    "add_note",
    {
      description: "Store a note (shared by all sessions).",
      inputSchema: { title: z.string().min(1), text: z.string() },
    },
    ({ title, text }) => jsonResult(store.add(title, text)),
  );
  server.registerTool("list_notes", { description: "Every stored note, oldest first." }, () =>
    jsonResult(store.list()),
  );
}

function registerSearchSwitch(server: McpServer, search: SearchFeature, sessions: LiveSessions): void {
  server.registerTool(
    "enable_search",
    { description: "Add the search_notes tool to every session; each is sent notifications/tools/list_changed." },
    () => jsonResult({ searchEnabled: true, sessionsChanged: search.enable(sessions.servers()) }),
  );
  server.registerTool(
    "disable_search",
    { description: "Remove the search_notes tool from every session; each is sent notifications/tools/list_changed." },
    () => jsonResult({ searchEnabled: false, sessionsChanged: search.disable(sessions.servers()) }),
  );
}
