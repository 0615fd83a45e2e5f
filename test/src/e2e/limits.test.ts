import * as http from "node:http";
import { deployments } from "./stack-modes";
import { rawPost } from "./mcp-client";
import { startGatewayStack, type GatewayStack } from "./gateway-stack";

jest.setTimeout(60_000);

const modes = deployments();
afterAll(async () => {
  await modes.stop();
});

// limits.maxBodyBytes above Envoy's 1 MiB default buffer and above gRPC's 4 MiB default message size, and a stream
// idle timeout far below the broker's usual keepalive: what a client sees must be the gateway's figures.
const MAX_BODY_BYTES = 6 * 1024 * 1024;
const IDLE_TIMEOUT_MS = 500;

/** A ping (answered by the broker) padded to about `bytes`. */
function paddedPing(id: number, bytes: number): string {
  return JSON.stringify({ jsonrpc: "2.0", id, method: "ping", params: { _meta: { pad: "p".repeat(bytes) } } });
}

/** POSTs `body` with chunked transfer encoding (no content-length: the size shows only while the body arrives). */
function postChunked(
  url: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
      },
      (response) => {
        let text = "";
        response.on("data", (chunk: Buffer) => (text += chunk.toString()));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, text }));
      },
    );
    request.on("error", reject);
    for (let i = 0; i < body.length; i += 256 * 1024) request.write(body.slice(i, i + 256 * 1024));
    request.end();
  });
}

async function openStreams(stack: GatewayStack): Promise<number> {
  return ((await (await fetch(`${stack.brokerBase}/status`)).json()) as { openStreams: number }).openStreams;
}

describe.each(modes.all)("body and stream limits end to end (%s)", (_label, mode) => {
  let stack: GatewayStack;
  let session: string;

  beforeAll(async () => {
    stack = await startGatewayStack(await mode(), {
      maxBodyBytes: MAX_BODY_BYTES,
      limits: `streamIdleTimeout: ${IDLE_TIMEOUT_MS}ms`,
    });
    const init = await rawPost(
      stack.url,
      JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "limits", version: "1" } },
      }),
    );
    session = init.headers.get("mcp-session-id") ?? "";
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it.each([
    ["above Envoy's 1 MiB default buffer", 1_500_000],
    ["above gRPC's 4 MiB default message size", 5_000_000],
  ])("serves a body %s, within limits.maxBodyBytes", async (_what, bytes) => {
    const reply = await rawPost(stack.url, paddedPing(7, bytes), { "mcp-session-id": session });
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({ jsonrpc: "2.0", id: 7, result: {} });
  });

  it("serves a chunked body above 1 MiB, within limits.maxBodyBytes", async () => {
    const reply = await postChunked(stack.url, paddedPing(8, 1_500_000), { "mcp-session-id": session });
    expect(reply.status).toBe(200);
    expect(reply.text).toContain('"id":8');
  });

  it("refuses a body over limits.maxBodyBytes with 413 and JSON-RPC -31003", async () => {
    const reply = await rawPost(stack.url, paddedPing(9, MAX_BODY_BYTES), { "mcp-session-id": session });
    expect(reply.status).toBe(413);
    expect(reply.json).toMatchObject({ error: { code: -31003 } });
  });

  it("refuses a chunked body over limits.maxBodyBytes with 413", async () => {
    const reply = await postChunked(stack.url, paddedPing(10, MAX_BODY_BYTES), { "mcp-session-id": session });
    expect(reply.status).toBe(413);
  });

  it("keeps a quiet GET notification stream open past limits.streamIdleTimeout", async () => {
    const abort = new AbortController();
    const stream = await fetch(stack.url, {
      headers: { accept: "text/event-stream", "mcp-session-id": session },
      signal: abort.signal,
    });
    try {
      expect(stream.status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 3 * IDLE_TIMEOUT_MS));
      expect(await openStreams(stack)).toBe(1);
    } finally {
      abort.abort();
    }
  });

  it("ends the stream upstream when the client disconnects mid-stream", async () => {
    const abort = new AbortController();
    const stream = await fetch(stack.url, {
      headers: { accept: "text/event-stream", "mcp-session-id": session },
      signal: abort.signal,
    });
    expect(stream.status).toBe(200);
    abort.abort();
    const deadline = Date.now() + 5_000;
    while ((await openStreams(stack)) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await openStreams(stack)).toBe(0);
  });
});
