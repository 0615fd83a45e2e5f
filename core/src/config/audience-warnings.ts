import type { GatewayConfig } from "./schema";

function isHttpUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value);
    return protocol === "https:" || protocol === "http:";
  } catch {
    return false;
  }
}

/**
 * JWT audience settings that are valid but refuse tokens the operator likely meant to accept, with
 * `auth.jwt.audienceScope: endpoint`: no URL audience (so every endpoint but `/mcp` refuses every JWT), or an
 * advertised `auth.resourceMetadata.resource` that is not an accepted audience (so a client that asks for a token for
 * the advertised resource, RFC 8707, is refused).
 */
export function audienceWarnings(config: GatewayConfig): string[] {
  const jwt = config.auth === "none" ? undefined : config.auth.jwt;
  if (config.auth === "none" || jwt === undefined || jwt.audienceScope === "gateway") return [];
  const audiences = Array.isArray(jwt.audience) ? jwt.audience : [jwt.audience];
  const warnings: string[] = [];
  if (!audiences.some(isHttpUrl)) {
    warnings.push(
      "auth.jwt.audience: no entry is an http(s) URL, so with audienceScope endpoint (the default) /mcp/<server> and virtual servers refuse every JWT; name the /mcp URL (e.g. https://gw.example/mcp) or set audienceScope: gateway",
    );
  }
  const resource = config.auth.resourceMetadata.resource;
  if (resource !== undefined && !audiences.includes(resource)) {
    warnings.push(
      `auth.resourceMetadata.resource: ${JSON.stringify(resource)} is not in auth.jwt.audience, so tokens clients get for the advertised resource are refused`,
    );
  }
  return warnings;
}
