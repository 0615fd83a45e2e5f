import { request as httpRequest, type IncomingHttpHeaders } from "node:http";

/** What {@link rawRequest} sends: the path goes on the wire exactly as given (no URL normalization). */
export interface RawRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

/** A raw HTTP answer with its body as text. */
export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/**
 * Sends one request to `base` (`http://host:port`) over node:http, which, unlike fetch, leaves the path alone:
 * `//mcp`, `/./mcp`, `/%6dcp` reach the server as written. A body is sent with its content-length unless the
 * headers name a transfer-encoding. Resolves once the whole answer is read (or after `timeoutMs`, with status 0).
 */
export function rawRequest(base: string, request: RawRequest, timeoutMs = 5000): Promise<RawAnswer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const sent = httpRequest(
      {
        host: hostname,
        port,
        method: request.method,
        path: request.path,
        headers: request.headers ?? {},
        agent: false,
      },
      (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (text += chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, text }));
        response.on("error", reject);
      },
    );
    sent.setTimeout(timeoutMs, () => {
      sent.destroy();
      resolve({ status: 0, headers: {}, text: "" });
    });
    sent.on("error", reject);
    sent.end(request.body);
  });
}
