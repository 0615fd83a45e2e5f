import { request, type IncomingHttpHeaders, type OutgoingHttpHeaders } from "node:http";

/** A reply read whole. */
export interface RawReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Options of `rawRequest`. */
export interface RawRequestOptions {
  method?: string;
  headers?: OutgoingHttpHeaders;
  /** Chunks written in order, `gapMs` apart (a trickled body); none: no body. */
  chunks?: (string | Buffer)[];
  gapMs?: number;
}

/**
 * One HTTP/1.1 request with the path sent exactly as given (fetch and URL would normalize `/./mcp` or `//mcp`
 * before anything is sent), read to its end.
 */
export function rawRequest(port: number, path: string, options: RawRequestOptions = {}): Promise<RawReply> {
  const { method = "GET", headers = {}, chunks = [], gapMs = 0 } = options;
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method, headers, agent: false }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
      response.on("error", reject);
    });
    req.on("error", reject);
    const write = (index: number): void => {
      if (req.destroyed) return;
      const chunk = chunks[index];
      if (chunk === undefined) return void req.end();
      req.write(chunk);
      setTimeout(() => write(index + 1), gapMs);
    };
    write(0);
  });
}
