import * as protoLoader from "@grpc/proto-loader";
import { LOADER_OPTIONS } from "@mcp-gateway/router";

/** One header as Envoy's ext_proc messages carry it: lower-case key, value as raw bytes. */
export interface ProtoHeader {
  key: string;
  raw_value: Buffer;
}

// Shapes of envoy.service.ext_proc.v3 messages as @grpc/proto-loader decodes them with the router's LOADER_OPTIONS
// (keepCase, enums as names, bytes as Buffer, unset fields absent, oneof name in a virtual field).

/** The messages Envoy sends, named after their ProcessingRequest oneof field. */
export type Phase = "request_headers" | "request_body" | "response_headers" | "response_body";

/** `envoy.config.core.v3.HeaderValue`. */
export interface HeaderValue {
  key?: string;
  value?: string;
  raw_value?: Buffer | Uint8Array;
}

/** `envoy.config.core.v3.HeaderValueOption`; `append` is the deprecated BoolValue Envoy's ext_proc honours. */
export interface HeaderValueOption {
  header?: HeaderValue;
  append?: { value?: boolean };
  append_action?: string | number;
  keep_empty_value?: boolean;
}

/** `envoy.service.ext_proc.v3.HeaderMutation`. */
export interface HeaderMutation {
  set_headers?: HeaderValueOption[];
  remove_headers?: string[];
}

/** `envoy.service.ext_proc.v3.BodyMutation`. */
export interface BodyMutation {
  mutation?: "body" | "clear_body";
  body?: Buffer | Uint8Array;
  clear_body?: boolean;
}

/** `envoy.service.ext_proc.v3.CommonResponse`. */
export interface CommonResponse {
  status?: "CONTINUE" | "CONTINUE_AND_REPLACE" | number;
  header_mutation?: HeaderMutation;
  body_mutation?: BodyMutation;
  clear_route_cache?: boolean;
  trailers?: unknown;
}

/** `envoy.service.ext_proc.v3.ImmediateResponse` (`body` is bytes in this proto version). */
export interface ImmediateResponse {
  status?: { code?: string | number };
  headers?: HeaderMutation;
  body?: Buffer | Uint8Array | string;
  grpc_status?: { status?: number };
  details?: string;
}

/** `envoy.extensions.filters.http.ext_proc.v3.ProcessingMode` (enum names). */
export interface ProcessingModeMessage {
  request_header_mode?: string;
  response_header_mode?: string;
  request_body_mode?: string;
  response_body_mode?: string;
  request_trailer_mode?: string;
  response_trailer_mode?: string;
}

/** `envoy.service.ext_proc.v3.ProcessingResponse` as received from the processor. */
export interface ProcessingResponse {
  response?: string;
  request_headers?: { response?: CommonResponse };
  response_headers?: { response?: CommonResponse };
  request_body?: { response?: CommonResponse };
  response_body?: { response?: CommonResponse };
  request_trailers?: unknown;
  response_trailers?: unknown;
  immediate_response?: ImmediateResponse;
  dynamic_metadata?: unknown;
  mode_override?: ProcessingModeMessage;
  override_message_timeout?: { seconds?: string | number; nanos?: number };
}

/** `envoy.service.ext_proc.v3.HttpHeaders`. */
export interface HttpHeaders {
  headers?: { headers?: Array<ProtoHeader | HeaderValue> };
  end_of_stream?: boolean;
}

/** `envoy.service.ext_proc.v3.HttpBody`. */
export interface HttpBody {
  body?: Buffer;
  end_of_stream?: boolean;
}

/** `envoy.service.ext_proc.v3.ProcessingRequest` as Envoy sends it. */
export interface ProcessingRequest {
  request?: string;
  request_headers?: HttpHeaders;
  response_headers?: HttpHeaders;
  request_body?: HttpBody;
  response_body?: HttpBody;
  request_trailers?: unknown;
  response_trailers?: unknown;
}

/** The ProcessingResponse oneof fields Envoy dispatches on (anything else is an "unhandled message"). */
const ANSWER_FIELDS = [
  "request_headers",
  "response_headers",
  "request_body",
  "response_body",
  "request_trailers",
  "response_trailers",
  "immediate_response",
] as const;

/** Which oneof field an answer carries, or undefined when it carries none. */
export function answerKind(answer: ProcessingResponse): (typeof ANSWER_FIELDS)[number] | undefined {
  return ANSWER_FIELDS.find((field) => answer[field] !== undefined && answer[field] !== null);
}

let statusCodes: Map<string, number> | undefined;

/** The numeric HTTP status of an `envoy.type.v3.StatusCode` enum name (proto-loader decodes enums as names). */
export function httpStatusNumber(code: string | number | undefined): number {
  if (typeof code === "number") return code;
  if (code === undefined) return 0;
  if (!statusCodes) {
    const loaded = protoLoader.loadSync("envoy/type/v3/http_status.proto", LOADER_OPTIONS);
    const descriptor = loaded["envoy.type.v3.StatusCode"] as unknown as {
      type: { value: Array<{ name: string; number: number }> };
    };
    statusCodes = new Map(descriptor.type.value.map((v) => [v.name, v.number]));
  }
  return statusCodes.get(code) ?? (/^\d+$/.test(code) ? Number(code) : 0);
}

/** Bytes of a proto `bytes` field (a string only appears when a caller built the message by hand). */
export function bytesOf(value: Buffer | Uint8Array | string | undefined): Buffer {
  if (value === undefined) return Buffer.alloc(0);
  return typeof value === "string" ? Buffer.from(value, "utf8") : Buffer.from(value);
}
