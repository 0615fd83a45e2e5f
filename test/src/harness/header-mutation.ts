import type { HeaderMap } from "./header-map";
import type { HeaderMutation } from "./ext-proc-messages";

/** `envoy.config.common.mutation_rules.v3.HeaderMutationRules` (the boolean subset the harness supports). */
export interface MutationRules {
  allowAllRouting: boolean;
  allowEnvoy: boolean;
  disallowSystem: boolean;
  disallowAll: boolean;
  disallowIsError: boolean;
}

/** Envoy's defaults when `mutation_rules` is absent. */
export const DEFAULT_MUTATION_RULES: MutationRules = Object.freeze({
  allowAllRouting: false,
  allowEnvoy: false,
  disallowSystem: false,
  disallowAll: false,
  disallowIsError: false,
});

type CheckOperation = "set" | "append" | "remove";
type CheckResult = "ok" | "ignore" | "fail";

/** Headers that steer routing and may change only with `allow_all_routing` (`host` is the HTTP/1 spelling). */
const ROUTING_HEADERS = new Set(["host", ":authority", ":method", ":scheme"]);
const TOKEN = /^:?[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// nghttp2's value check, which Envoy uses: HTAB, visible ASCII and obs-text; no NUL, CR, LF or other controls.
const VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const AUTHORITY = /^[A-Za-z0-9\-._~%!$&'()*+,;=:@[\]]*$/;

function isAllowed(op: CheckOperation, name: string, rules: MutationRules): boolean {
  if (op === "remove" && (name.startsWith(":") || name === "host")) return false; // never removable
  if (rules.disallowAll) return false;
  if (!rules.allowAllRouting && ROUTING_HEADERS.has(name)) return false;
  if (name.startsWith(":") && (op === "append" || rules.disallowSystem)) return false;
  if (!rules.allowEnvoy && name.startsWith("x-envoy")) return false;
  return true;
}

function isValidValue(name: string, value: string): boolean {
  if (!name.startsWith(":") && !VALUE.test(value)) return false;
  if ((name === "host" || name === ":authority") && !AUTHORITY.test(value)) return false;
  if (name === ":scheme" && value !== "http" && value !== "https") return false;
  if (name === ":status") return /^\d+$/.test(value) && Number(value) >= 200;
  return true;
}

/** Envoy's `MutationRules::Checker::check`: ok, ignore the mutation, or fail the request. */
function check(op: CheckOperation, name: string, value: string, rules: MutationRules): CheckResult {
  if (isAllowed(op, name, rules) && (op === "remove" || isValidValue(name, value))) return "ok";
  return rules.disallowIsError ? "fail" : "ignore";
}

function applyRemovals(headers: HeaderMap, names: readonly string[], rules: MutationRules): string | undefined {
  for (const raw of names) {
    if (!TOKEN.test(raw)) return "Invalid character in remove_headers mutation.";
    const name = raw.toLowerCase();
    const result = check("remove", name, "", rules);
    if (result === "fail") return `Invalid attempt to remove ${name}`;
    if (result === "ok") headers.remove(name);
  }
  return undefined;
}

/**
 * Applies a HeaderMutation exactly as Envoy's ext_proc `MutationUtils::applyHeaderMutations` does and returns the
 * error that fails the request (HTTP 500), or undefined. Removals run first. A set header's value is `raw_value`
 * only: `value` alone yields an empty header, both set is an error. `append` (BoolValue) adds a value, anything
 * else overwrites; `append_action` is ignored. Disallowed mutations are skipped unless `disallow_is_error`.
 * `replacingMessage` (CONTINUE_AND_REPLACE) lets `:method` change regardless of the rules.
 */
export function applyHeaderMutation(
  headers: HeaderMap,
  mutation: HeaderMutation,
  rules: MutationRules,
  replacingMessage = false,
): string | undefined {
  const removalError = applyRemovals(headers, mutation.remove_headers ?? [], rules);
  if (removalError) return removalError;
  for (const option of mutation.set_headers ?? []) {
    const header = option.header;
    if (!header) continue;
    const rawValue = header.raw_value ? Buffer.from(header.raw_value) : Buffer.alloc(0);
    if (header.value && rawValue.length > 0) {
      return "Only one of value or raw_value in the HeaderValue message should be set.";
    }
    const value = rawValue.toString("latin1");
    if (!TOKEN.test(header.key ?? "") || !VALUE.test(value)) return "Invalid character in set_headers mutation.";
    const name = (header.key ?? "").toLowerCase();
    const append = option.append?.value === true;
    const op: CheckOperation = append && headers.has(name) ? "append" : "set";
    const result = replacingMessage && name === ":method" ? "ok" : check(op, name, value, rules);
    if (result === "fail") return `Invalid attempt to modify ${name}`;
    if (result === "ignore") continue;
    if (append) headers.add(name, value);
    else headers.set(name, value);
  }
  return undefined;
}
