/** What a gateway-executed tool call came to, as the model is told and the audit records it. */
export interface ToolOutcome {
  /** Text given back to the model as the tool's result. */
  text: string;
  /** ok: a result; tool_error: a result with isError; refused: a JSON-RPC error (policy, rate limit, unknown tool…). */
  outcome: "ok" | "tool_error" | "refused";
}

interface ContentBlock {
  type?: unknown;
  text?: unknown;
  mimeType?: unknown;
  data?: unknown;
  resource?: { uri?: unknown; text?: unknown; mimeType?: unknown };
}

function blockText(block: ContentBlock): string {
  if (block.type === "text" && typeof block.text === "string") return block.text;
  if (block.type === "image" || block.type === "audio") {
    const size = typeof block.data === "string" ? Math.floor((block.data.length * 3) / 4) : 0;
    return `[${block.type} ${String(block.mimeType ?? "")} of ${size} bytes, not shown]`;
  }
  if (block.type === "resource" && typeof block.resource?.text === "string") return block.resource.text;
  if (block.type === "resource") return `[resource ${String(block.resource?.uri ?? "")} (binary), not shown]`;
  return JSON.stringify(block);
}

/** A tools/call result as text for the model: text blocks as they are, other blocks as JSON or a placeholder. */
export function toolResultOutcome(result: {
  content?: unknown;
  structuredContent?: unknown;
  isError?: unknown;
}): ToolOutcome {
  const blocks = Array.isArray(result.content) ? (result.content as ContentBlock[]) : [];
  let text = blocks.map(blockText).join("\n");
  if (text === "" && result.structuredContent !== undefined) text = JSON.stringify(result.structuredContent);
  if (result.isError === true) return { text: `Tool error: ${text || "(no message)"}`, outcome: "tool_error" };
  return { text, outcome: "ok" };
}

/** A tool call the gateway refused or could not make, as the model is told. */
export function toolRefusalOutcome(message: string): ToolOutcome {
  return { text: `Tool call refused: ${message}`, outcome: "refused" };
}
