/**
 * The slice of envoy.service.ext_proc.v3 messages the router reads and writes, as proto-loader hands them over
 * (keepCase, oneofs: the `request`/`response` field names the phase).
 */

/** config.core.v3.HeaderValue: Envoy sends `raw_value`; older releases sent `value`. */
export interface HeaderValue {
  key: string;
  value?: string;
  raw_value?: Buffer;
}

/** The phase a ProcessingRequest carries. */
export type Phase =
  "request_headers" | "request_body" | "request_trailers" | "response_headers" | "response_body" | "response_trailers";

/** An incoming ext_proc message (only the fields the router uses). */
export interface ProcessingRequest {
  request?: Phase;
  request_headers?: { headers?: { headers?: HeaderValue[] }; end_of_stream?: boolean };
  request_body?: { body?: Buffer; end_of_stream?: boolean };
  response_headers?: { headers?: { headers?: HeaderValue[] }; end_of_stream?: boolean };
  response_body?: { body?: Buffer; end_of_stream?: boolean };
  request_trailers?: unknown;
  response_trailers?: unknown;
  /** The `request_attributes` the filter config asks for, under the filter's name (a protobuf Struct each). */
  attributes?: Record<string, { fields?: Record<string, { stringValue?: string } | undefined> } | undefined>;
}

/** config.core.v3.HeaderValueOption, written with `raw_value` only (a `value` alone would arrive empty). */
export interface HeaderValueOption {
  header: { key: string; raw_value: Buffer };
  /** The deprecated BoolValue: false = overwrite any existing value. */
  append: { value: boolean };
}

/** ext_proc.v3.HeaderMutation. */
export interface HeaderMutation {
  set_headers?: HeaderValueOption[];
  remove_headers?: string[];
}

/** ext_proc.v3.CommonResponse. */
export interface CommonResponse {
  header_mutation?: HeaderMutation;
  body_mutation?: { body: Buffer };
  /** Honoured by Envoy only together with a header_mutation. */
  clear_route_cache?: boolean;
}

/** ext_proc.v3.ImmediateResponse. */
export interface ImmediateResponse {
  status: { code: number };
  headers?: HeaderMutation;
  body?: Buffer;
  details?: string;
}

/** ext_proc.v3 ProcessingMode, as a processor may override it for the rest of the stream (a field left out: its default). */
export interface ModeOverride {
  request_header_mode?: HeaderSendMode;
  request_body_mode?: BodySendMode;
  request_trailer_mode?: HeaderSendMode;
  response_header_mode?: HeaderSendMode;
  response_body_mode?: BodySendMode;
  response_trailer_mode?: HeaderSendMode;
}

/** ProcessingMode.HeaderSendMode (DEFAULT: the filter's own default). */
export type HeaderSendMode = "DEFAULT" | "SEND" | "SKIP";

/** ProcessingMode.BodySendMode (the ones the gateway uses). */
export type BodySendMode = "NONE" | "STREAMED" | "BUFFERED";

/**
 * google.protobuf.Value as proto-loader writes it (the set field names the kind; only those the router uses). Struct
 * and Value come from protobufjs's built-in well-known types, whose field names stay camelCase whatever `keepCase`
 * says: a `string_value` would be dropped silently.
 */
export interface StructValue {
  stringValue?: string;
  structValue?: Struct;
}

/** google.protobuf.Struct. */
export interface Struct {
  fields: Record<string, StructValue>;
}

/**
 * An outgoing ext_proc answer: exactly one phase answer or an immediate response, optionally with dynamic metadata
 * (Envoy merges each top-level key into that namespace, if the filter's `metadata_options` accepts it).
 */
export type ProcessingResponse = PhaseAnswer & { mode_override?: ModeOverride; dynamic_metadata?: Struct };

/** The answer oneof of a ProcessingResponse. */
export type PhaseAnswer =
  | { request_headers: { response?: CommonResponse } }
  | { request_body: { response?: CommonResponse } }
  | { response_headers: { response?: CommonResponse } }
  | { request_trailers: Record<string, never> }
  | { response_body: { response?: CommonResponse } }
  | { response_trailers: Record<string, never> }
  | { immediate_response: ImmediateResponse };
