import { GatewayError, JsonRpcErrorCode, type JsonRpcErrorCodeValue, type JsonRpcId } from "../../errors";
import { exposeResourceUri, resourcePrefixOf } from "../../catalog/resource-uris";
import { isJson, prefixResultUris, type Json } from "../../routing/result-uris";
import { capText } from "../../text-cap";
import type { ModernAdmission } from "./modern-admission";

/** Resource not found in 2025 revisions; 2026-07-28 uses -32602 (SEP-2164, resources.mdx "Error Handling"). */
const LEGACY_RESOURCE_NOT_FOUND = -32002;

/**
 * The result a modern client gets from an upstream's response: resource URIs prefixed as the legacy path prefixes
 * them (result-uris.ts), then redacted when a rule applies. The front end adds `resultType` and `serverInfo`.
 */
export function modernResult(message: Json, admission: Pick<ModernAdmission, "server" | "redactor">): Json {
  const result = message["result"];
  if (!isJson(result)) {
    throw new GatewayError(
      JsonRpcErrorCode.UpstreamUnavailable,
      `server "${admission.server.name}" answered with a result that is not an object`,
      { httpStatus: 502 },
    );
  }
  const prefixed = prefixResultUris(result, resourcePrefixOf(admission.server));
  return admission.redactor ? admission.redactor.redact(prefixed) : prefixed;
}

/**
 * The upstream's JSON-RPC error as the modern client's error (code, message and data as the upstream sent them, as
 * the legacy path relays them), with a 2025 "resource not found" (-32002) mapped to -32602 and its `data.uri`
 * prefixed; undefined when the response carries a result.
 */
export function upstreamError(
  message: Json,
  admission: Pick<ModernAdmission, "server" | "method">,
  id: JsonRpcId,
): GatewayError | undefined {
  if (Object.hasOwn(message, "result") && !Object.hasOwn(message, "error")) return undefined;
  const error = message["error"];
  if (!isJson(error)) {
    return new GatewayError(
      JsonRpcErrorCode.UpstreamUnavailable,
      `server "${admission.server.name}" answered with neither a result nor an error`,
      { httpStatus: 502, id },
    );
  }
  let code = Number.isSafeInteger(error["code"]) ? (error["code"] as number) : JsonRpcErrorCode.InternalError;
  let data = error["data"];
  if (admission.method === "resources/read" && code === LEGACY_RESOURCE_NOT_FOUND) {
    code = JsonRpcErrorCode.InvalidParams;
    if (isJson(data) && typeof data["uri"] === "string")
      data = { ...data, uri: exposeResourceUri(resourcePrefixOf(admission.server), data["uri"]) };
  }
  const text = typeof error["message"] === "string" ? capText(error["message"]) : "error";
  // The upstream's code is relayed as it is (the legacy path relays the whole error unchanged).
  return new GatewayError(code as JsonRpcErrorCodeValue, text, { id, ...(data === undefined ? {} : { data }) });
}
