import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** A no-op OTLP/HTTP collector on loopback: reads each export whole and answers 200, counting what it got. */
export interface OtlpSink {
  /** The OTLP/HTTP base URL (the exporter appends `/v1/traces`). */
  url: string;
  exports(): number;
  bytes(): number;
  close(): Promise<void>;
}

/** Starts an {@link OtlpSink} on a free 127.0.0.1 port. */
export async function startOtlpSink(): Promise<OtlpSink> {
  let exports = 0;
  let bytes = 0;
  const server = createServer((request, response) => {
    request.on("data", (chunk: Buffer) => (bytes += chunk.length));
    request.on("end", () => {
      exports += 1;
      response.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    exports: () => exports,
    bytes: () => bytes,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
