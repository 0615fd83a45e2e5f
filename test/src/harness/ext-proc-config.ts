import { DEFAULT_MUTATION_RULES, type MutationRules } from "./header-mutation";
import type { ProcessingModeMessage } from "./ext-proc-messages";
import {
  EnvoyConfigError,
  childPath,
  optBool,
  optDurationMs,
  optMap,
  optString,
  rejectUnknownKeys,
  reqMap,
  reqString,
  type YamlMap,
} from "./yaml-fields";

/** The per-request processing modes the harness can emulate (the others are fixed: headers SEND, trailers SKIP). */
export interface ProcessingModes {
  requestBody: "NONE" | "BUFFERED";
  responseHeaders: "SEND" | "SKIP";
  /** NONE from the filter config; STREAMED only through a processor's mode_override. */
  responseBody: "NONE" | "STREAMED";
}

/** What Envoy does with `clear_route_cache` (`disable_clear_route_cache: true` is RETAIN). */
export type RouteCacheAction = "DEFAULT" | "CLEAR" | "RETAIN";

/** The `envoy.filters.http.ext_proc` settings the harness honours. */
export interface ExtProcSettings {
  clusterName: string;
  messageTimeoutMs: number;
  maxMessageTimeoutMs: number;
  allowModeOverride: boolean;
  routeCacheAction: RouteCacheAction;
  mutationRules: MutationRules;
  processingMode: ProcessingModes;
}

/** Envoy's default `message_timeout`. */
export const DEFAULT_MESSAGE_TIMEOUT_MS = 200;

const FILTER_KEYS = [
  "@type",
  "grpc_service",
  "failure_mode_allow",
  "processing_mode",
  "message_timeout",
  "max_message_timeout",
  "stat_prefix",
  "mutation_rules",
  "allow_mode_override",
  "route_cache_action",
  "disable_clear_route_cache",
] as const;
const RULE_KEYS = ["allow_all_routing", "allow_envoy", "disallow_system", "disallow_all", "disallow_is_error"];

/** Each mode field: the values the harness emulates (DEFAULT means SEND for headers, not sent for trailers). */
const SUPPORTED_MODES: Record<keyof ProcessingModeMessage, readonly string[]> = {
  request_header_mode: ["SEND", "DEFAULT"],
  request_body_mode: ["BUFFERED"],
  response_header_mode: ["SEND", "DEFAULT"],
  response_body_mode: ["NONE"],
  request_trailer_mode: ["SKIP", "DEFAULT"],
  response_trailer_mode: ["SKIP", "DEFAULT"],
};
/** Absent enum fields are the proto3 zero value. */
const ZERO_MODE: Record<keyof ProcessingModeMessage, string> = {
  request_header_mode: "DEFAULT",
  request_body_mode: "NONE",
  response_header_mode: "DEFAULT",
  response_body_mode: "NONE",
  request_trailer_mode: "DEFAULT",
  response_trailer_mode: "DEFAULT",
};

function parseProcessingMode(map: YamlMap, path: string): ProcessingModes {
  const where = childPath(path, "processing_mode");
  const mode = reqMap(map, "processing_mode", path);
  rejectUnknownKeys(mode, Object.keys(SUPPORTED_MODES), where);
  for (const [field, allowed] of Object.entries(SUPPORTED_MODES) as Array<[keyof ProcessingModeMessage, string[]]>) {
    const value = optString(mode, field, where) ?? ZERO_MODE[field];
    if (!allowed.includes(value)) {
      throw new EnvoyConfigError(childPath(where, field), `${value} is not supported (use ${allowed[0]})`);
    }
  }
  return { requestBody: "BUFFERED", responseHeaders: "SEND", responseBody: "NONE" };
}

function parseMutationRules(map: YamlMap, path: string): MutationRules {
  const rules = optMap(map, "mutation_rules", path);
  if (!rules) return DEFAULT_MUTATION_RULES;
  const where = childPath(path, "mutation_rules");
  rejectUnknownKeys(rules, RULE_KEYS, where);
  return {
    allowAllRouting: optBool(rules, "allow_all_routing", where) ?? false,
    allowEnvoy: optBool(rules, "allow_envoy", where) ?? false,
    disallowSystem: optBool(rules, "disallow_system", where) ?? false,
    disallowAll: optBool(rules, "disallow_all", where) ?? false,
    disallowIsError: optBool(rules, "disallow_is_error", where) ?? false,
  };
}

function parseRouteCacheAction(map: YamlMap, path: string): RouteCacheAction {
  if (optBool(map, "disable_clear_route_cache", path)) return "RETAIN";
  const action = optString(map, "route_cache_action", path) ?? "DEFAULT";
  if (action !== "DEFAULT" && action !== "CLEAR" && action !== "RETAIN") {
    throw new EnvoyConfigError(childPath(path, "route_cache_action"), `unknown value ${action}`);
  }
  return action;
}

/** Parses an `ExternalProcessor` typed_config; throws EnvoyConfigError naming any field the harness cannot honour. */
export function parseExtProcFilter(map: YamlMap, path: string): ExtProcSettings {
  rejectUnknownKeys(map, FILTER_KEYS, path);
  const grpcPath = childPath(path, "grpc_service");
  const grpcService = reqMap(map, "grpc_service", path);
  rejectUnknownKeys(grpcService, ["envoy_grpc", "timeout"], grpcPath);
  const envoyGrpc = reqMap(grpcService, "envoy_grpc", grpcPath);
  if (optBool(map, "failure_mode_allow", path)) {
    throw new EnvoyConfigError(childPath(path, "failure_mode_allow"), "true is not supported (fail closed only)");
  }
  return {
    clusterName: reqString(envoyGrpc, "cluster_name", childPath(grpcPath, "envoy_grpc")),
    messageTimeoutMs: optDurationMs(map, "message_timeout", path) ?? DEFAULT_MESSAGE_TIMEOUT_MS,
    maxMessageTimeoutMs: optDurationMs(map, "max_message_timeout", path) ?? 0,
    allowModeOverride: optBool(map, "allow_mode_override", path) ?? false,
    routeCacheAction: parseRouteCacheAction(map, path),
    mutationRules: parseMutationRules(map, path),
    processingMode: parseProcessingMode(map, path),
  };
}

/**
 * The modes after a `mode_override`, as Envoy merges it (DEFAULT header modes leave the current value, absent body
 * modes mean NONE), or an error string when the override asks for a mode the harness does not emulate.
 */
export function applyModeOverride(current: ProcessingModes, override: ProcessingModeMessage): ProcessingModes | string {
  const requestBody = override.request_body_mode ?? "NONE";
  const responseBody = override.response_body_mode ?? "NONE";
  const responseHeaders = override.response_header_mode ?? "DEFAULT";
  const trailers = [override.request_trailer_mode ?? "DEFAULT", override.response_trailer_mode ?? "DEFAULT"];
  if (requestBody !== "NONE" && requestBody !== "BUFFERED") return `request_body_mode ${requestBody}`;
  if (responseBody !== "NONE" && responseBody !== "STREAMED") return `response_body_mode ${responseBody}`;
  if (trailers.some((mode) => mode === "SEND")) return "trailer mode SEND";
  return {
    requestBody,
    responseHeaders: responseHeaders === "DEFAULT" ? current.responseHeaders : (responseHeaders as "SEND" | "SKIP"),
    responseBody,
  };
}
