import type { IncomingMessage } from "node:http";

/** A client's request body as Envoy buffers it in BUFFERED mode. */
export interface RequestBody {
  data: Buffer;
  /** The body outgrew the listener's buffer limit; Envoy answers 413 instead of sending it to the processor. */
  tooLarge: boolean;
}

/** Buffers the whole body up to `limitBytes`; beyond that it keeps draining the socket but stops buffering. */
export function readBody(req: IncomingMessage, limitBytes: number): Promise<RequestBody> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
    });
    const done = () => resolve({ data: Buffer.concat(chunks), tooLarge });
    req.once("end", done);
    req.once("close", done);
  });
}
