// test support
/**
 * A 2025-generation upstream (SDK v1 `McpServer`, stateful Streamable HTTP) whose tools ask the client for input on
 * the call's own stream, for the modern call bridge's tests (test support only).
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import {
  CreateMessageResultSchema,
  ElicitResultSchema,
  ListRootsResultSchema,
  type ClientCapabilities,
  type ServerNotification,
  type ServerRequest,
} from "@modelcontextprotocol/sdk/types.js";
import { listenFixture, type FixtureServer } from "./fixture-server";

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** A running input upstream (test support). */
export interface InputUpstream extends FixtureServer {
  /** Capabilities each session's client declared at initialize, in order. */
  readonly initialized: ClientCapabilities[];
  /** Request ids of calls whose handler saw its signal abort (the gateway cancelled them). */
  readonly cancelled: string[];
  /** Forgets every session (as a restart would): the next call on one gets 404. */
  dropSessions(): Promise<void>;
}

const text = (value: string) => ({ content: [{ type: "text" as const, text: value }] });

async function elicitName(extra: Extra, message: string): Promise<string> {
  const answer = await extra.sendRequest(
    {
      method: "elicitation/create",
      params: {
        message,
        requestedSchema: { type: "object", properties: { name: { type: "string" } }, required: ["name"] },
      },
    },
    ElicitResultSchema,
    { timeout: 60_000 },
  );
  return answer.action === "accept" ? String(answer.content?.["name"]) : answer.action;
}

async function sample(extra: Extra): Promise<string> {
  const answer = await extra.sendRequest(
    {
      method: "sampling/createMessage",
      params: { messages: [{ role: "user", content: { type: "text", text: "Capital of France?" } }], maxTokens: 20 },
    },
    CreateMessageResultSchema,
  );
  return answer.content.type === "text" ? answer.content.text : answer.content.type;
}

async function roots(extra: Extra): Promise<string> {
  const answer = await extra.sendRequest({ method: "roots/list" }, ListRootsResultSchema);
  return answer.roots.map((root) => root.uri).join(",");
}

function register(server: McpServer, cancelled: string[]): void {
  server.registerTool("ask_name", {}, async (extra) =>
    text(`Hello, ${await elicitName(extra, "What is your name?")}!`),
  );
  server.registerTool("sample", {}, async (extra) => text(`model said: ${await sample(extra)}`));
  server.registerTool("roots", {}, async (extra) => text(`roots: ${await roots(extra)}`));
  server.registerTool("ask_twice", {}, async (extra) => {
    const first = await elicitName(extra, "First name?");
    const last = await elicitName(extra, "Last name?");
    return text(`${first} ${last}`);
  });
  server.registerTool("ask_all", {}, async (extra) => {
    const [name, said, listed] = await Promise.all([elicitName(extra, "Name?"), sample(extra), roots(extra)]);
    return text(`${name} | ${said} | ${listed}`);
  });
  server.registerTool("report", {}, async (extra) => {
    const token = extra._meta?.progressToken;
    if (token !== undefined) {
      await extra.sendNotification({
        method: "notifications/progress",
        params: { progressToken: token, progress: 1, total: 2 },
      });
    }
    for (const level of ["debug", "info", "error"] as const) {
      await extra.sendNotification({ method: "notifications/message", params: { level, data: `${level} line` } });
    }
    return { content: [{ type: "resource_link", uri: "note://one", name: "one" }] };
  });
  server.registerTool("slow", {}, async (extra) => {
    await new Promise<void>((resolve) => extra.signal.addEventListener("abort", () => resolve(), { once: true }));
    cancelled.push(String(extra.requestId));
    return text("cancelled");
  });
  server.registerTool("ask_then_wait", {}, async (extra) => {
    extra.signal.addEventListener("abort", () => cancelled.push(String(extra.requestId)), { once: true });
    return text(`Hello, ${await elicitName(extra, "Name?")}!`);
  });
  // Without an argsSchema the SDK calls the callback with `extra` alone (its typings say otherwise).
  const greet = async (extra: Extra) => ({
    messages: [
      { role: "user" as const, content: { type: "text" as const, text: `Greet ${await elicitName(extra, "Whom?")}` } },
    ],
  });
  server.registerPrompt("greet", {}, greet as unknown as Parameters<McpServer["registerPrompt"]>[2]);
}

/** Starts the upstream on 127.0.0.1 (test support). */
export async function startInputUpstream(): Promise<InputUpstream> {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const initialized: ClientCapabilities[] = [];
  const cancelled: string[] = [];
  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const id = req.headers["mcp-session-id"];
    if (typeof id === "string") {
      const known = sessions.get(id);
      if (known) return known.handleRequest(req, res);
      res
        .writeHead(404, { "content-type": "application/json" })
        .end('{"jsonrpc":"2.0","id":null,"error":{"code":-32001,"message":"Session not found"}}');
      return;
    }
    const server = new McpServer({ name: "input-upstream", version: "1.0.0" }, { capabilities: { logging: {} } });
    register(server, cancelled);
    server.server.oninitialized = () => initialized.push(server.server.getClientCapabilities() ?? {});
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      onsessioninitialized: (sessionId) => void sessions.set(sessionId, transport),
    });
    await server.connect(transport);
    await transport.handleRequest(req, res);
  };
  const fixture = await listenFixture((req, res) => void serve(req, res));
  const dropSessions = async (): Promise<void> => {
    const open = [...sessions.values()];
    sessions.clear();
    await Promise.all(open.map((transport) => transport.close()));
  };
  return {
    ...fixture,
    initialized,
    cancelled,
    dropSessions,
    close: async () => {
      await dropSessions();
      await fixture.close();
    },
  };
}
