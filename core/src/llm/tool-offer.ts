/** An MCP tool as tools/list gives it (prefixed name as exposed). */
export interface McpToolInfo {
  name: string;
  description?: string | undefined;
  inputSchema: Record<string, unknown>;
}

/** A tool offered to the model as a function: its function name and the MCP tool it calls. */
export interface OfferedTool {
  /** The function name the model sees (OpenAI allows `[A-Za-z0-9_-]{1,64}`). */
  fn: string;
  mcpName: string;
  description: string;
  parameters: Record<string, unknown>;
}

const FUNCTION_NAME_MAX = 64;

/** `name` as a function name: other characters become `_`, cut to 64; a clash gets a numbered suffix. */
function functionName(name: string, taken: ReadonlySet<string>): string {
  const base = name.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, FUNCTION_NAME_MAX) || "tool";
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) {
    const suffix = `_${n}`;
    const candidate = `${base.slice(0, FUNCTION_NAME_MAX - suffix.length)}${suffix}`;
    if (!taken.has(candidate)) return candidate;
  }
}

const SAFE_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The consumer's MCP tools as functions for the model, names made function-safe and unique. A name that is already
 * function-safe is always its own function name (another tool's made-safe name never takes it), so a function name
 * the model uses means the same tool whatever else the consumer's list holds.
 */
export function offerTools(tools: readonly McpToolInfo[]): OfferedTool[] {
  const taken = new Set(tools.map((tool) => tool.name).filter((name) => SAFE_NAME.test(name)));
  const own = new Set<string>();
  return tools.map((tool) => {
    const keeps = SAFE_NAME.test(tool.name) && !own.has(tool.name);
    const fn = keeps ? tool.name : functionName(tool.name, taken);
    if (keeps) own.add(fn);
    taken.add(fn);
    const parameters = { ...tool.inputSchema, type: "object" };
    return { fn, mcpName: tool.name, description: tool.description ?? "", parameters };
  });
}

/** A tool call the model asked for, as either wire format gives it. */
export interface RequestedCall {
  id: string;
  /** The function name the model used. */
  fn: string;
  /** The arguments as the model wrote them (a JSON text). */
  arguments: string;
}
