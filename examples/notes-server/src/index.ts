import { createMcpHttpApp, listenMcpHttpApp, type RunningServer, type StartOptions } from "@mcp-gateway/example-kit";
import { createNotesMcpServer } from "./notes-mcp-server";
import { NotesStore } from "./notes-store";
import { SearchFeature } from "./search-feature";
import { SessionRegistry } from "@mcp-gateway/example-kit";

export { SESSION_NOT_FOUND, type RunningServer, type StartOptions } from "@mcp-gateway/example-kit";
export { createNotesMcpServer, NOTES_SERVER_NAME, type NotesDeps } from "./notes-mcp-server";
export { NotesStore, type Note } from "./notes-store";
export { SEARCH_TOOL, SearchFeature } from "./search-feature";

/** Port the notes server listens on when none is given. */
export const DEFAULT_NOTES_PORT = 9102;

/** Starts the notes MCP server (Streamable HTTP, stateful sessions) with its own empty store, search off. */
export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const store = new NotesStore();
  const deps = { store, search: new SearchFeature(store) };
  const sessions = new SessionRegistry((live) => createNotesMcpServer(deps, live));
  const app = createMcpHttpApp(sessions, options);
  return listenMcpHttpApp(app, sessions, { ...options, port: options.port ?? DEFAULT_NOTES_PORT });
}
