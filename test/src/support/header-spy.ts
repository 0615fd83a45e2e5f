import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** Headers a careless or hostile upstream adds to every response (the gateway must not relay them). */
export const UPSTREAM_EXTRA_HEADERS: Readonly<Record<string, string>> = {
  "x-powered-by": "Express",
  "access-control-allow-origin": "*",
  "access-control-allow-credentials": "true",
  "access-control-allow-methods": "GET, POST, PUT, DELETE",
  "access-control-expose-headers": "x-upstream-secret",
  "access-control-max-age": "86400",
  server: "spy-upstream/1.0",
  "set-cookie": "upstream=1; Path=/",
  "www-authenticate": 'Bearer realm="upstream"',
};

// Hop-by-hop: they describe one connection, so the spy (like any proxy) does not copy them to the next one.
const HOP_BY_HOP = ["connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection", "te", "trailer"];

function endToEnd(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const copy = { ...headers };
  for (const name of HOP_BY_HOP) delete copy[name];
  return copy;
}

/** A reverse proxy in front of an MCP server that records what the gateway sends and decorates what it answers. */
export interface HeaderSpy {
  /** `http://127.0.0.1:<port>/mcp` */
  url: string;
  port: number;
  /** The headers of every request received so far, in order. */
  requests: { method: string; headers: IncomingHttpHeaders }[];
  /** Stops listening and drops open connections: new connections are refused from then on. */
  close(): Promise<void>;
}

/** Starts a spy on a free port that forwards every request to `target` (`http://host:port/mcp`). */
export async function startHeaderSpy(target: string): Promise<HeaderSpy> {
  const upstream = new URL(target);
  const requests: HeaderSpy["requests"] = [];
  const server: Server = createServer((incoming, outgoing) => {
    requests.push({ method: incoming.method ?? "", headers: incoming.headers });
    const headers = { ...endToEnd(incoming.headers), host: upstream.host };
    const forwarded = httpRequest(
      { host: upstream.hostname, port: upstream.port, path: upstream.pathname, method: incoming.method, headers },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, { ...endToEnd(answer.headers), ...UPSTREAM_EXTRA_HEADERS });
        answer.pipe(outgoing);
      },
    );
    forwarded.on("error", () => outgoing.destroy());
    incoming.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    port,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
