/** A complete tool call assembled from a streamed Chat Completions answer. */
export interface AssembledToolCall {
  id: string;
  name: string;
  arguments: string;
}

interface ToolCallDelta {
  index?: unknown;
  id?: unknown;
  function?: { name?: unknown; arguments?: unknown };
}

/**
 * Joins the `tool_calls` deltas of a streamed chat completion: the first delta of each index carries its id and name,
 * later ones pieces of its arguments (OpenAI's published chunk format).
 */
export class ToolCallAssembler {
  private readonly calls = new Map<number, AssembledToolCall>();

  /** Adds one chunk's `choices[].delta.tool_calls`. */
  add(deltas: unknown): void {
    if (!Array.isArray(deltas)) return;
    for (const delta of deltas as ToolCallDelta[]) {
      const index = typeof delta.index === "number" ? delta.index : this.calls.size;
      const call = this.calls.get(index) ?? { id: "", name: "", arguments: "" };
      if (typeof delta.id === "string" && delta.id !== "") call.id = delta.id;
      if (typeof delta.function?.name === "string") call.name += delta.function.name;
      if (typeof delta.function?.arguments === "string") call.arguments += delta.function.arguments;
      this.calls.set(index, call);
    }
  }

  /** The calls so far, by index. */
  result(): AssembledToolCall[] {
    return [...this.calls.entries()].sort(([a], [b]) => a - b).map(([, call]) => call);
  }
}
