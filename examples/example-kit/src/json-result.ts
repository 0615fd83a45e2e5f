import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";

/** A tool result whose single text block is `value` as JSON. */
export function jsonResult(value: unknown): CallToolResult {
  return { content: [{ type: "text", text: JSON.stringify(value) }] };
}
