import { HeaderMap } from "./header-map";
import { applyHeaderMutation, type MutationRules } from "./header-mutation";
import { bytesOf, httpStatusNumber, type ImmediateResponse } from "./ext-proc-messages";

/** A response Envoy generates itself (Envoy's `sendLocalReply`) instead of forwarding the upstream's. */
export interface LocalReply {
  status: number;
  headers: HeaderMap;
  body: Buffer;
  /** Envoy's response code details, e.g. `route_not_found` or the ext_proc error message. */
  details: string;
  /**
   * Whether the reply passes through ext_proc's response phase. Replies made by the router or the connection
   * manager (404, 503, 504 upstream timeout, 413) do, being encoded through every filter before the router;
   * ext_proc's own replies (immediate responses, its errors) do not.
   */
  viaProcessor: boolean;
}

/** Envoy's status for an ImmediateResponse without a valid (>= 200) code. */
const DEFAULT_IMMEDIATE_STATUS = 200;

/** Sets the headers Envoy's local reply always carries once the body is known. */
function finishHeaders(headers: HeaderMap, body: Buffer): void {
  if (body.length === 0) return;
  headers.set("content-length", String(body.length));
  if (!headers.has("content-type")) headers.set("content-type", "text/plain");
}

/** A local reply with a text body (empty by default, as Envoy's 404/503/ext_proc error replies are). */
export function localReply(status: number, details: string, body = "", viaProcessor = false): LocalReply {
  const headers = new HeaderMap([[":status", String(status)]]);
  const bytes = Buffer.from(body, "utf8");
  finishHeaders(headers, bytes);
  return { status, headers, body: bytes, details, viaProcessor };
}

/**
 * The local reply for an ImmediateResponse: its status (200 when missing or below 200), its header mutation under
 * the filter's mutation rules (a failing mutation is only logged by Envoy, so earlier mutations stay), its body with
 * a matching content-length, and `text/plain` unless the processor set a content-type.
 */
export function immediateReply(response: ImmediateResponse, rules: MutationRules): LocalReply {
  const code = httpStatusNumber(response.status?.code);
  const status = code >= 200 ? code : DEFAULT_IMMEDIATE_STATUS;
  const headers = new HeaderMap([[":status", String(status)]]);
  if (response.headers) applyHeaderMutation(headers, response.headers, rules);
  const body = bytesOf(response.body);
  finishHeaders(headers, body);
  const finalStatus = Number(headers.get(":status") ?? status);
  return { status: finalStatus, headers, body, details: response.details ?? "", viaProcessor: false };
}
