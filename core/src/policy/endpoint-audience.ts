import type { GatewayConfig } from "../config/schema";
import { metadataPathOf } from "../endpoints/endpoint-access";
import { AGGREGATE_PATH } from "../endpoints/endpoints";

/** An http(s) URL audience continued by the endpoint's path below `/mcp`; undefined for any other audience. */
function continued(audience: string, below: string): string | undefined {
  let url: URL;
  try {
    url = new URL(audience);
  } catch {
    return undefined;
  }
  if ((url.protocol !== "https:" && url.protocol !== "http:") || url.hash !== "") return undefined;
  url.pathname = `${url.pathname.replace(/\/$/, "")}${below}`;
  return url.href;
}

/**
 * The audiences a JWT must name (one of) at the endpoint `target` addresses, with `auth.jwt.audienceScope: endpoint`:
 * `auth.jwt.audience` at `/mcp` (and any target that is not endpoint-shaped, such as the LLM routes), and at any other
 * endpoint path the URL entries of `auth.jwt.audience` continued by that path, exactly as the endpoint's protected
 * resource metadata continues `resource` (see resourceUrl). Never from the request's Host: a client must not choose
 * which resource its token is checked against. Undefined (the verifier's own audience) with scope `gateway`.
 */
export function endpointAudience(config: GatewayConfig, target: string | undefined): readonly string[] | undefined {
  const jwt = config.auth === "none" ? undefined : config.auth.jwt;
  if (jwt === undefined || jwt.audienceScope === "gateway") return undefined;
  const path = (target === undefined ? undefined : metadataPathOf(config, target)) ?? AGGREGATE_PATH;
  const audiences = Array.isArray(jwt.audience) ? jwt.audience : [jwt.audience];
  if (path === AGGREGATE_PATH) return audiences;
  const below = path.slice(AGGREGATE_PATH.length);
  return audiences.flatMap((audience) => continued(audience, below) ?? []);
}
