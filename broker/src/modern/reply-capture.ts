import { activeRequestSpan } from "@mcp-gateway/core";
import type { McpHttpHandler } from "@modelcontextprotocol/server";

type FetchHandler = Pick<McpHttpHandler, "fetch">;

/**
 * `handler` whose replies the traced request's span reads as they stream to the client: with `captureContent` a
 * tools/call's result is recorded exactly as the client receives it, after the SDK adds `resultType` and serverInfo
 * (the call bridge's rewriting and `sanitize` redaction came before). The bytes pass unchanged; an untraced request,
 * or one whose result is not recorded, is not tapped.
 */
export function capturingReplies(handler: FetchHandler): FetchHandler {
  return {
    fetch: async (request, options) => {
      const reply = await handler.fetch(request, options);
      const body = reply.body;
      const reader = body ? activeRequestSpan()?.clientReply(reply.headers.get("content-type") ?? "") : undefined;
      if (!body || !reader) return reply;
      const tap = new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          reader.push(chunk);
          controller.enqueue(chunk);
        },
        flush: () => reader.end(),
      });
      return new Response(body.pipeThrough(tap), {
        status: reply.status,
        statusText: reply.statusText,
        headers: reply.headers,
      });
    },
  };
}
