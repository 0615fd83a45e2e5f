import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";

/** What the MCP SDK client took from one reply: the messages it accepted and the errors it reported. */
export interface SdkReading {
  messages: JSONRPCMessage[];
  errors: string[];
}

/** One HTTP reply as the client receives it: its content-type header lines and its body in network chunks. */
export interface ClientReply {
  /** Each value is one `Content-Type` header line (none: no header; several: the client joins them with ", "). */
  contentTypes: readonly string[];
  chunks: readonly Uint8Array[];
}

const CALL = { jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "lookup", arguments: {} } } as const;
const URL_ = new URL("http://gateway.test/mcp");
// No reconnection: an SSE reply without a response would otherwise be resumed on a timer.
const NO_RECONNECT = {
  maxRetries: 0,
  initialReconnectionDelay: 1,
  maxReconnectionDelay: 1,
  reconnectionDelayGrowFactor: 1,
};

function bodyStream(chunks: readonly Uint8Array[], finished: () => void): ReadableStream<Uint8Array> {
  let next = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = chunks[next++];
      if (chunk === undefined) {
        controller.close();
        finished();
      } else controller.enqueue(chunk);
    },
    cancel() {
      finished();
    },
  });
}

/**
 * Hands a reply to the real MCP SDK client transport (StreamableHTTPClientTransport, through a `fetch` stand-in
 * instead of the network) as the answer to a `tools/call`, and returns what the client accepted: its own media type
 * parse, TextDecoderStream, eventsource-parser and JSON-RPC schema, nothing re-implemented here.
 */
export async function sdkClientReads(reply: ClientReply): Promise<SdkReading> {
  let finished!: () => void;
  const drained = new Promise<void>((resolve) => (finished = resolve));
  const headers = new Headers();
  for (const value of reply.contentTypes) headers.append("content-type", value);
  const body = bodyStream(reply.chunks, finished);
  const fetchStub = (_url: string | URL, init?: RequestInit): Promise<Response> =>
    Promise.resolve(
      init?.method === "POST" ? new Response(body, { status: 200, headers }) : new Response(null, { status: 405 }),
    );
  const transport = new StreamableHTTPClientTransport(URL_, { fetch: fetchStub, reconnectionOptions: NO_RECONNECT });
  const reading: SdkReading = { messages: [], errors: [] };
  transport.onmessage = (message) => reading.messages.push(message);
  transport.onerror = (error) => reading.errors.push(String(error));
  await transport.start();
  try {
    await transport.send(CALL);
  } catch (error: unknown) {
    reading.errors.push(String(error));
  }
  await drained;
  // The SDK reads an SSE body in the background on promise jobs only (no I/O, no timers): a macrotask turn after
  // the body is drained, every event it will ever dispatch has been dispatched.
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  await transport.close();
  return reading;
}
