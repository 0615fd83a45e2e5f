import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";

/** An origin-form request target (RFC 9112 §3.2.1): a path of visible ASCII, an optional query, no fragment. */
const ORIGIN_FORM = /^\/[\x21-\x22\x24-\x7e]*$/;

/**
 * Why `target` is not an origin-form request target, or undefined when it is. Only such a target is read alike by
 * every part of the gateway: Express's `request.path` (parseurl) hands anything else (absolute form, a fragment, a
 * tab, a no-break space) to `url.parse`, whose path then differs from the target as sent, which the endpoint, audience
 * and forwarding decisions read; Envoy sends the router origin-form paths only.
 */
export function requestTargetError(target: string): string | undefined {
  if (ORIGIN_FORM.test(target)) return undefined;
  if (!target.startsWith("/"))
    return "the request target must be a path starting with '/' (origin form, RFC 9112 §3.2.1)";
  if (target.includes("#")) return "the request target must not carry a fragment ('#')";
  return "the request target may hold only visible ASCII characters (percent-encode others, RFC 3986)";
}

/** Answers 400 with a JSON-RPC error naming the problem for a request whose target is not origin form. */
function refuseTarget(response: ServerResponse, problem: string): void {
  const body = JSON.stringify({
    jsonrpc: "2.0",
    id: null,
    error: { code: -32600, message: `bad request: ${problem}` },
  });
  response.writeHead(400, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    connection: "close",
  });
  response.end(body);
}

/** `listener`, answering 400 before it runs for any request whose target is not origin form. */
export function requireOriginForm(listener: RequestListener): RequestListener {
  return function originFormOnly(request: IncomingMessage, response: ServerResponse): void {
    const problem = requestTargetError(request.url ?? "");
    if (problem === undefined) listener(request, response);
    else refuseTarget(response, problem);
  };
}
