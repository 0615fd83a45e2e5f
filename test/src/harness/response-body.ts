import { once } from "node:events";
import type * as http from "node:http";
import type { ExtProcStream } from "./ext-proc-stream";
import { ExtProcFailure } from "./ext-proc-stream";

/** The bytes the client gets for one response_body message, as Envoy applies the processor's answer. */
async function exchangeChunk(stream: ExtProcStream, chunk: Buffer, endOfStream: boolean): Promise<Buffer> {
  const answer = await stream.send("response_body", { response_body: { body: chunk, end_of_stream: endOfStream } });
  // No answer awaited (the stream completed earlier): Envoy passes the rest through unprocessed.
  if (!answer) return chunk;
  if (answer.immediate_response) throw new ExtProcFailure(500, "immediate_response_after_headers_sent");
  const mutation = answer.response_body?.response?.body_mutation;
  if (mutation?.body !== undefined) return Buffer.from(mutation.body);
  if (mutation?.clear_body) return Buffer.alloc(0);
  return chunk;
}

/**
 * Envoy's STREAMED response body mode (entered through a `mode_override`): every upstream chunk goes to the processor
 * as it arrives and the client gets what the answer says (a body mutation replaces the chunk); the last message, with
 * `end_of_stream`, is sent when the upstream ends. The response headers are already out, so a failure (timeout, gRPC
 * error, immediate response) can only reset the client's stream: the caller does that when this rejects.
 */
export async function streamResponseBody(
  upstream: http.IncomingMessage,
  res: http.ServerResponse,
  stream: ExtProcStream,
): Promise<void> {
  for await (const chunk of upstream as AsyncIterable<Buffer>) {
    const out = await exchangeChunk(stream, chunk, false);
    if (out.length > 0 && !res.write(out)) await once(res, "drain");
  }
  const last = await exchangeChunk(stream, Buffer.alloc(0), true);
  stream.finish();
  res.end(last);
}
