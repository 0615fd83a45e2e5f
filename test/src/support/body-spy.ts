import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** One request a {@link BodySpy} saw: method, headers and the whole body. */
export interface SpiedRequest {
  method: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A reverse proxy in front of an MCP server that records each request whole (headers and body) before passing it on. */
export interface BodySpy {
  /** `http://127.0.0.1:<port>/mcp` */
  url: string;
  requests: SpiedRequest[];
  close(): Promise<void>;
}

/** Starts a spy on a free loopback port that forwards every request to `target` (`http://host:port/mcp`). */
export async function startBodySpy(target: string): Promise<BodySpy> {
  const upstream = new URL(target);
  const requests: SpiedRequest[] = [];
  const server: Server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
    incoming.on("end", () => {
      const body = Buffer.concat(chunks);
      requests.push({ method: incoming.method ?? "", headers: incoming.headers, body: body.toString("utf8") });
      const headers = { ...incoming.headers, host: upstream.host, "content-length": String(body.length) };
      delete headers["transfer-encoding"];
      const forwarded = httpRequest(
        { host: upstream.hostname, port: upstream.port, path: upstream.pathname, method: incoming.method, headers },
        (answer) => {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
        },
      );
      forwarded.on("error", () => outgoing.destroy());
      forwarded.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
