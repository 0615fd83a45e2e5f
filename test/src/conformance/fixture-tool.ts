import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import {
  ErrorCode,
  McpError,
  type CallToolResult,
  type ProgressToken,
  type ServerNotification,
  type ServerRequest,
  type Tool,
} from "@modelcontextprotocol/sdk/types.js";
import type { FixtureSession } from "./fixture-session";
import type { FixtureShared } from "./fixture-shared";

/** What a fixture tool may use besides its arguments. */
export interface ToolContext {
  /** The SDK's per-request handle: notifications and requests sent through it travel on this call's SSE stream. */
  readonly extra: RequestHandlerExtra<ServerRequest, ServerNotification>;
  /** The session's log level and subscriptions. */
  readonly session: FixtureSession;
  /** The session's server, for messages not tied to the call (they go out on the standalone GET stream). */
  readonly server: Server;
  /** `params._meta.progressToken` of the call, if the client asked for progress. */
  readonly progressToken: ProgressToken | undefined;
  /** What every session of the fixture shares (the open sessions, the list generations). */
  readonly fixture: FixtureShared;
}

/** One tool: what `tools/list` shows and what `tools/call` runs. */
export interface FixtureTool {
  readonly definition: Tool;
  run(args: Record<string, unknown>, context: ToolContext): Promise<CallToolResult>;
}

/** The input schema of a tool without arguments. */
export const NO_ARGUMENTS: Tool["inputSchema"] = { type: "object", properties: {} };

/** An input schema of required string arguments, each with its description. */
export function stringArguments(descriptions: Record<string, string>): Tool["inputSchema"] {
  const properties = Object.fromEntries(
    Object.entries(descriptions).map(([name, description]) => [name, { type: "string", description }]),
  );
  return { type: "object", properties, required: Object.keys(descriptions) };
}

/** A result holding one text block. */
export function textResult(text: string): CallToolResult {
  return { content: [{ type: "text", text }] };
}

/** The string argument `name`; a missing or non-string value is an InvalidParams error. */
export function requireString(args: Record<string, unknown>, name: string): string {
  const value = args[name];
  if (typeof value !== "string") throw new McpError(ErrorCode.InvalidParams, `argument '${name}' must be a string`);
  return value;
}
