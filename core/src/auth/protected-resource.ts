/** The RFC 9728 well-known path for OAuth protected resource metadata. */
export const PROTECTED_RESOURCE_WELL_KNOWN = "/.well-known/oauth-protected-resource";

/** Options for {@link protectedResourceMetadata}. */
export interface ProtectedResourceOptions {
  /** The resource identifier: the MCP endpoint's URL as clients use it (and as tokens' `aud` names it). */
  resource: string;
  /** Issuer URLs of the authorization servers that mint tokens for this resource. */
  authorizationServers: string[];
  scopesSupported?: string[];
  /** A human-readable name for the resource. */
  resourceName?: string;
}

/** The RFC 9728 metadata document, as served as JSON. */
export interface ProtectedResourceMetadata {
  resource: string;
  authorization_servers: string[];
  bearer_methods_supported: ["header"];
  scopes_supported?: string[];
  resource_name?: string;
}

/**
 * The protected resource metadata document (RFC 9728 §2) the MCP authorization spec requires: where clients find the
 * authorization servers. Bearer tokens are accepted in the Authorization header only (never in a query string, where
 * they end up in logs).
 */
export function protectedResourceMetadata(options: ProtectedResourceOptions): ProtectedResourceMetadata {
  const metadata: ProtectedResourceMetadata = {
    resource: options.resource,
    authorization_servers: [...options.authorizationServers],
    bearer_methods_supported: ["header"],
  };
  if (options.scopesSupported !== undefined) metadata.scopes_supported = [...options.scopesSupported];
  if (options.resourceName !== undefined) metadata.resource_name = options.resourceName;
  return metadata;
}

/**
 * Where a resource's metadata lives (RFC 9728 §3.1): the well-known path goes between the host and the resource's
 * path, so `https://gw.example/mcp` has `https://gw.example/.well-known/oauth-protected-resource/mcp`, and a resource
 * at the root (path `/`) has no suffix. A query is kept; a fragment or a non-http(s) URL is refused.
 */
export function resourceMetadataUrl(resource: string): string {
  const url = new URL(resource);
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new Error("a protected resource must be an http or https URL");
  }
  if (url.hash !== "" || resource.includes("#")) throw new Error("a protected resource URL must not have a fragment");
  const path = url.pathname === "/" ? "" : url.pathname;
  return `${url.origin}${PROTECTED_RESOURCE_WELL_KNOWN}${path}${url.search}`;
}

/** Options for {@link wwwAuthenticate}. */
export interface WwwAuthenticateOptions {
  /** From {@link resourceMetadataUrl}; omitted when the gateway advertises no authorization server. */
  resourceMetadataUrl?: string;
  /** RFC 6750 §3.1 error code; omit it when the request had no credentials at all. */
  error?: "invalid_token" | "invalid_request";
  /** Says what was wrong; must never contain the credential (an {@link AuthError} message is safe). */
  description?: string;
  /** Scopes the resource needs, space-separated, so a client knows what to ask for. */
  scope?: string;
}

/** One character of a quoted-string: control characters (CR/LF could split the header) become spaces, non-ASCII
 * (not allowed in header values) `?`, and quotes and backslashes are escaped. */
function headerSafe(char: string): string {
  const code = char.charCodeAt(0);
  if (code < 0x20 || code === 0x7f) return " ";
  if (code > 0x7e) return "?";
  return char === '"' || char === "\\" ? `\\${char}` : char;
}

/** An RFC 7230 quoted-string that is always a valid header value. */
function quoted(value: string): string {
  return `"${Array.from(value, headerSafe).join("")}"`;
}

/**
 * The `WWW-Authenticate` value of a 401 (RFC 6750 §3, RFC 9728 §5.1): `Bearer resource_metadata="…"` and details, or a
 * plain `Bearer` (with details, if any) when there is no metadata to point at.
 */
export function wwwAuthenticate(options: WwwAuthenticateOptions): string {
  const params: string[] = [];
  if (options.resourceMetadataUrl !== undefined)
    params.push(`resource_metadata=${quoted(options.resourceMetadataUrl)}`);
  if (options.scope !== undefined) params.push(`scope=${quoted(options.scope)}`);
  if (options.error !== undefined) params.push(`error=${quoted(options.error)}`);
  if (options.description !== undefined) params.push(`error_description=${quoted(options.description)}`);
  return params.length === 0 ? "Bearer" : `Bearer ${params.join(", ")}`;
}
