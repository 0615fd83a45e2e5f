import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import type { ToolContext } from "./fixture-tool";

/**
 * Sends a server-to-client request under an id the fixture chooses (the SDK numbers its own requests), on the
 * call's stream, and resolves with the client's answer. A 2025 server can name a request only by its id; the
 * gateway's bridge turns a named id into the input key a 2026 client sees (the scenario requires `user_name`).
 */
export async function sendNamedRequest(
  context: ToolContext,
  id: string,
  method: string,
  params: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const transport = context.server.transport;
  if (!transport) throw new Error("the fixture session has no transport");
  const answered = new Promise<Record<string, unknown>>((resolve, reject) => {
    const previous = transport.onmessage;
    // The SDK's dispatcher does not know this id: the answer is taken off the transport before it.
    transport.onmessage = (message: JSONRPCMessage, extra) => {
      if (!("method" in message) && "id" in message && message.id === id) {
        transport.onmessage = previous;
        if ("result" in message) resolve(message.result as Record<string, unknown>);
        else reject(new Error(`the client refused request ${id}: ${JSON.stringify(message)}`));
        return;
      }
      previous?.(message, extra);
    };
  });
  await transport.send({ jsonrpc: "2.0", id, method, params }, { relatedRequestId: context.extra.requestId });
  return answered;
}
