import { connect } from "node:net";

// Raw JSON-RPC over HTTP (fetch) for the session parts: an SDK client per session would cost the benchmark process
// far more than the gateway spends on it.

const PROTOCOL = "2025-06-18";
const HEADERS = { "content-type": "application/json", accept: "application/json, text/event-stream" };
let nextId = 1;

/** POSTs one JSON-RPC message; resolves with the reply's session id header and its JSON-RPC answer (if any). */
async function post(
  url: string,
  message: Record<string, unknown>,
  sessionId?: string,
): Promise<{ sessionId: string | null; answer: Record<string, unknown> | undefined }> {
  const headers: Record<string, string> = { ...HEADERS };
  if (sessionId) Object.assign(headers, { "mcp-session-id": sessionId, "mcp-protocol-version": PROTOCOL });
  const response = await fetch(url, { method: "POST", headers, body: JSON.stringify({ jsonrpc: "2.0", ...message }) });
  const text = await response.text();
  if (response.status >= 400) throw new Error(`HTTP ${response.status}: ${text.slice(0, 200)}`);
  const data = text.split("\n").find((line) => line.startsWith("data: "));
  const json = data ? data.slice(6) : text;
  return {
    sessionId: response.headers.get("mcp-session-id"),
    answer: json ? (JSON.parse(json) as Record<string, unknown>) : undefined,
  };
}

/** `initialize` + `notifications/initialized` on `url`; resolves with the new session's id. */
export async function openSession(url: string): Promise<string> {
  const params = { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: { name: "scale-bench", version: "1.0.0" } };
  const { sessionId } = await post(url, { id: nextId++, method: "initialize", params });
  if (!sessionId) throw new Error("initialize answered without mcp-session-id");
  await post(url, { method: "notifications/initialized" }, sessionId);
  return sessionId;
}

/** One `tools/call` of `name` on `sessionId`; rejects on a JSON-RPC error or an `isError` result. */
export async function callTool(url: string, sessionId: string, name: string, args: unknown): Promise<void> {
  const { answer } = await post(
    url,
    { id: nextId++, method: "tools/call", params: { name, arguments: args } },
    sessionId,
  );
  const result = answer?.["result"] as { isError?: boolean } | undefined;
  if (!result || result.isError) throw new Error(`tools/call ${name}: ${JSON.stringify(answer).slice(0, 200)}`);
}

/** Ends a session (`DELETE`). */
export async function closeSession(url: string, sessionId: string): Promise<void> {
  await fetch(url, { method: "DELETE", headers: { "mcp-session-id": sessionId, "mcp-protocol-version": PROTOCOL } });
}

/** Redis `INFO memory`'s `used_memory_rss` (bytes) and `DBSIZE`, over a plain socket. */
export function redisMemory(port: number): Promise<{ rss: number; keys: number }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.write("INFO memory\r\nDBSIZE\r\n"));
    let text = "";
    const timer = setTimeout(() => socket.destroy(new Error("redis INFO timed out")), 5_000);
    socket.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      const keys = /\r\n:(\d+)\r\n$/.exec(text);
      const rss = /used_memory_rss:(\d+)/.exec(text);
      if (!keys || !rss) return;
      clearTimeout(timer);
      socket.end();
      resolve({ rss: Number(rss[1]), keys: Number(keys[1]) });
    });
    socket.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}
