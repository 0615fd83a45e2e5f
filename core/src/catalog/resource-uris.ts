/**
 * How the gateway exposes an upstream's resource URIs: its resource prefix and a `+` go in front of the URI's own
 * scheme (`weather+weather://cities`, `files+file:///etc/motd`). RFC 3986 allows `ALPHA *( ALPHA / DIGIT / "+" / "-" /
 * "." )` in a scheme, so a prefix of that shape, without `+`, keeps every valid URI valid, and everything after the
 * scheme (authority, path, query, fragment) stays as the upstream wrote it. The first `+` of the scheme ends the
 * prefix, so mapping back is an exact lookup, never a longest-match guess. The tool prefix (`weather_`) cannot serve:
 * `_` is not a scheme character. See docs/resource-uris.md for the reasons and the alternatives weighed.
 */

/** A valid resource prefix: empty (URIs unchanged) or a lower-case URI scheme without `+`. */
export const RESOURCE_PREFIX_RE = /^(?:[a-z][a-z0-9.-]*)?$/;

/** What separates the resource prefix from the upstream URI's own scheme. */
export const RESOURCE_PREFIX_SEPARATOR = "+";

// A scheme head up to its first "+": compared case-insensitively (RFC 3986 §3.1: schemes are case-insensitive and
// clients may lower-case them).
const EXPOSED_HEAD_RE = /^([A-Za-z][A-Za-z0-9.-]*)\+/;

/**
 * The resource prefix that a server's tool prefix implies when `resourcePrefix` is not configured: the tool prefix
 * without its trailing separators (`_`, `.`, `-`), lower-cased, with `_` turned into `-` (`weather_` → `weather`,
 * `my_srv_` → `my-srv`, `""` → `""`). The result may still be invalid (a leading digit); config validation says so.
 */
export function defaultResourcePrefix(toolPrefix: string): string {
  return toolPrefix
    .replace(/[_.-]+$/u, "")
    .toLowerCase()
    .replace(/_/gu, "-");
}

/** A server's resource prefix: the configured one, else the one its tool prefix implies. */
export function resourcePrefixOf(server: { prefix: string; resourcePrefix?: string | undefined }): string {
  return server.resourcePrefix ?? defaultResourcePrefix(server.prefix);
}

/** An upstream's resource URI (or URI template) as the gateway exposes it; an empty prefix keeps it unchanged. */
export function exposeResourceUri(resourcePrefix: string, uri: string): string {
  return resourcePrefix === "" ? uri : resourcePrefix + RESOURCE_PREFIX_SEPARATOR + uri;
}

/**
 * The resource prefix (lower-cased) and the upstream's own URI inside an exposed URI, or undefined when its scheme
 * has no `+`. Which server owns the prefix, if any, is the caller's lookup.
 */
export function splitExposedResourceUri(exposed: string): { prefix: string; uri: string } | undefined {
  const head = EXPOSED_HEAD_RE.exec(exposed);
  if (!head?.[1]) return undefined;
  return { prefix: head[1].toLowerCase(), uri: exposed.slice(head[0].length) };
}
