import { RESOURCE_PREFIX_RE, RESOURCE_PREFIX_SEPARATOR, resourcePrefixOf } from "../catalog/resource-uris";
import type { GatewayConfig } from "./schema";

// A scheme as RFC 3986 §3.1 defines it, and the part of a glob that must be one (up to its first ":" or "*").
const SCHEME_RE = /^[A-Za-z][A-Za-z0-9+.-]*$/;
const SCHEME_HEAD_RE = /^[^:*]*/;

/**
 * Resource prefixes: each a valid scheme prefix (a tool prefix such as `1x_` implies `1x`, which is not, so the server
 * then needs an explicit `resourcePrefix`) and each non-empty one used by one server only, so an exposed URI maps back
 * to exactly one server.
 */
function checkPrefixes(config: GatewayConfig): string[] {
  const issues: string[] = [];
  const owners = new Map<string, string>();
  config.servers.forEach((server, index) => {
    const prefix = resourcePrefixOf(server);
    // A tool prefix of separators only ("_") would silently leave the server's URIs unprefixed: say so instead.
    const lost = prefix === "" && server.prefix !== "" && server.resourcePrefix === undefined;
    if (lost || !RESOURCE_PREFIX_RE.test(prefix)) {
      issues.push(
        `servers[${index}].prefix: the tool prefix "${server.prefix}" implies the resource prefix "${prefix}", which is not a URI scheme (a lower-case letter, then lower-case letters, digits, '.' or '-'); set servers[${index}].resourcePrefix`,
      );
      return;
    }
    if (prefix === "") return;
    const owner = owners.get(prefix);
    if (owner === undefined) owners.set(prefix, server.name);
    else
      issues.push(
        `servers[${index}].resourcePrefix: resource prefix "${prefix}" is already used by server "${owner}" (resource URIs would be ambiguous); set a distinct servers[${index}].resourcePrefix`,
      );
  });
  return issues;
}

/**
 * Policy resource patterns that can match no URI: the text before the first `:` or `*` must be (the start of) a URI
 * scheme, and a pattern written for the old `<tool prefix><uri>` form (`weather_*`, `weather_weather://*`) is not.
 * Refused with the form to write instead rather than left to deny silently.
 */
function checkPatterns(config: GatewayConfig): string[] {
  const issues: string[] = [];
  for (const [name, policy] of Object.entries(config.policies)) {
    policy.resources.forEach((pattern, index) => {
      const head = SCHEME_HEAD_RE.exec(pattern)?.[0] ?? "";
      if (head === "" || SCHEME_RE.test(head)) return;
      const server = config.servers.find((s) => s.prefix !== "" && pattern.startsWith(s.prefix));
      const hint = server
        ? `; resource URIs of "${server.name}" are exposed as "${resourcePrefixOf(server)}${RESOURCE_PREFIX_SEPARATOR}<uri>", so write "${resourcePrefixOf(server)}${RESOURCE_PREFIX_SEPARATOR}${pattern.slice(server.prefix.length)}"`
        : "";
      issues.push(
        `policies.${name}.resources[${index}]: "${pattern}" can match no resource URI: "${head}" is not the start of a URI scheme${hint}`,
      );
    });
  }
  return issues;
}

/** Resource prefixes and the policy patterns written against them. */
export function checkResourcePrefixes(config: GatewayConfig): string[] {
  return [...checkPrefixes(config), ...checkPatterns(config)];
}
