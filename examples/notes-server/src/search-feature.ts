import type { McpServer, RegisteredTool } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { jsonResult } from "@mcp-gateway/example-kit";
import type { NotesStore } from "./notes-store";

/** Name of the tool that `enable_search` adds and `disable_search` removes. */
export const SEARCH_TOOL = "search_notes";

/**
 * Whether `search_notes` is offered. The switch is global to the server, not per session: flipping it adds or
 * removes the tool in every live session's McpServer, and each one then sends `notifications/tools/list_changed`.
 */
export class SearchFeature {
  private readonly tools = new WeakMap<McpServer, RegisteredTool>();
  private on = false;

  /** `store` is what `search_notes` searches. */
  constructor(private readonly store: NotesStore) {}

  /** True while `search_notes` is offered. */
  get enabled(): boolean {
    return this.on;
  }

  /** Gives a new session's server the tool if search is on (before connect, so it sends no notification). */
  attach(server: McpServer): void {
    if (this.on) this.addTo(server);
  }

  /** Turns search on, adding the tool to each of `servers`; returns how many got it (0 if it was already on). */
  enable(servers: Iterable<McpServer>): number {
    if (this.on) return 0;
    this.on = true;
    let added = 0;
    for (const server of servers) added += this.addTo(server) ? 1 : 0;
    return added;
  }

  /** Turns search off, removing the tool from each of `servers`; returns how many lost it (0 if it was off). */
  disable(servers: Iterable<McpServer>): number {
    if (!this.on) return 0;
    this.on = false;
    let removed = 0;
    for (const server of servers) {
      const tool = this.tools.get(server);
      if (tool === undefined) continue;
      tool.remove();
      this.tools.delete(server);
      removed++;
    }
    return removed;
  }

  private addTo(server: McpServer): boolean {
    if (this.tools.has(server)) return false;
    const tool = server.registerTool(
      SEARCH_TOOL,
      {
        description: "Notes whose title or text contains the query (case-insensitive).",
        inputSchema: { query: z.string() },
      },
      ({ query }) => jsonResult(this.store.search(query)),
    );
    this.tools.set(server, tool);
    return true;
  }
}
