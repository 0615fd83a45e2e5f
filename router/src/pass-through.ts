import { clientAddressHeader, envoyClient, GatewayError, isInternalHeader, JsonRpcErrorCode } from "@mcp-gateway/core";
import { CONSOLE_MATCHES, type PathMatch } from "./envoy-config/console-routes";
import { LLM_PATHS } from "./envoy-config/llm-routes";
import type { ModeOverride, ProcessingRequest, ProcessingResponse } from "./ext-proc-messages";
import { headerMutation } from "./mutations";

/** The part of a `:path` Envoy's route matches compare: without the query string and fragment, as Envoy cuts them. */
function routedPath(path: string): string {
  const end = path.search(/[?#]/);
  return end === -1 ? path : path.slice(0, end);
}

/** Whether Envoy's route `match` takes `path` (exact `path`, or `prefix`; case-sensitive, nothing normalized). */
export function envoyPathMatches(match: PathMatch, path: string): boolean {
  const routed = routedPath(path);
  return "path" in match ? routed === match.path : routed.startsWith(match.prefix);
}

/**
 * Whether `path` is one of the broker's paths that the rendered Envoy config sends past ext_proc (its LLM routes, and
 * the console's when `consoleEnabled`): the same route matches render-envoy writes, read the way Envoy reads them. Any
 * other path, however close (`/v1/models`, `/v1/chat/completions/`, `/UI`, `/v1/../mcp`), is not one.
 */
export function isPassThroughPath(path: string, consoleEnabled: boolean): boolean {
  if (LLM_PATHS.some((llm) => envoyPathMatches({ path: llm }, path))) return true;
  return consoleEnabled && CONSOLE_MATCHES.some(({ match }) => envoyPathMatches(match, path));
}

/**
 * The processing mode for the rest of a passed-through stream: no body in either direction and no trailers. The
 * response headers still come (answered unchanged): Envoy may already have sent them, for its own 413 to a body that
 * outgrew its buffer while the router read the request headers, and a mode without them would close the stream with
 * that message unanswered (the client would wait for message_timeout, then get 503).
 */
const PASS_THROUGH_MODE: ModeOverride = {
  request_header_mode: "SEND",
  request_body_mode: "NONE",
  request_trailer_mode: "SKIP",
  response_header_mode: "SEND",
  response_body_mode: "NONE",
  response_trailer_mode: "SKIP",
};

/**
 * The request-headers answer for a pass-through path when ext_proc is attached to the whole listener (Istio's
 * EnvoyFilter) rather than per route: what the rendered routes do without ext_proc. The client's copies of the
 * gateway's own headers go (x-destination-mcp and the x-mcp-* family, so the route stays the broker's), the client's
 * address is the one Envoy resolved (its `source.address` attribute, without the port; none when Envoy sent none),
 * and no body is buffered or parsed in either direction, so streamed answers stream.
 */
export function passThroughAnswer(
  headers: Readonly<Record<string, string>>,
  sourceAddress: string | undefined,
): ProcessingResponse {
  const set = clientAddressHeader({ client: envoyClient(sourceAddress, headers) });
  const remove = Object.keys(headers).filter((name) => isInternalHeader(name) && !Object.hasOwn(set, name));
  const mutation = headerMutation(set, remove);
  // A route Envoy chose from the client's headers is chosen again without them.
  const clear = remove.length > 0 ? { clear_route_cache: true } : {};
  return {
    request_headers: mutation ? { response: { header_mutation: mutation, ...clear } } : {},
    mode_override: PASS_THROUGH_MODE,
  };
}

/**
 * The answer to a later phase of a passed-through stream, which Envoy sends only when its filter ignores mode overrides
 * (`allow_mode_override: false`): that phase goes on unchanged, never into the MCP pipeline.
 */
export function unchangedAnswer(message: ProcessingRequest): ProcessingResponse {
  if (message.request_body) return { request_body: {} };
  if (message.response_headers) return { response_headers: {} };
  if (message.response_body) return { response_body: {} };
  if (message.request_trailers) return { request_trailers: {} };
  if (message.response_trailers) return { response_trailers: {} };
  throw new GatewayError(JsonRpcErrorCode.InternalError, "ext_proc message out of order after a pass-through", {
    httpStatus: 500,
  });
}
