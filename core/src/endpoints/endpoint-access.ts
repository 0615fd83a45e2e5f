import { exposeResourceUri, resourcePrefixOf } from "../catalog/resource-uris";
import type { GatewayConfig } from "../config/schema";
import { ENDPOINT_PATH_RE } from "../config/virtual-server-schema";
import { GatewayError, JsonRpcErrorCode } from "../errors";
import type { AccessPolicy, TargetKind } from "../policy/access-policy";
import { AGGREGATE_PATH, isUnderMcp, pathOf, resolveEndpoint, type Endpoint } from "./endpoints";

/**
 * Whether one virtual server pick can give `policy` anything: its server is allowed and, for an exact name (no `*`),
 * the policy allows that name in its aggregated form. A glob pick is judged by its server alone.
 */
function pickOpen(
  config: GatewayConfig,
  policy: AccessPolicy,
  kind: TargetKind,
  pick: { server: string; name: string },
): boolean {
  const server = config.servers.find((s) => s.name === pick.server);
  if (server === undefined || !policy.allowsServer(server.name)) return false;
  if (pick.name.includes("*")) return true;
  const name = kind === "resource" ? exposeResourceUri(resourcePrefixOf(server), pick.name) : server.prefix + pick.name;
  return policy.allows(kind, name, server.name);
}

/**
 * Whether `policy` can use anything at `endpoint`: `/mcp` always; `/mcp/<server>` when the policy allows that server;
 * a virtual server when one of its picks can give it something (see {@link pickOpen}). An endpoint it cannot is
 * answered as one that does not exist, so a consumer learns of no server outside its policy.
 */
export function endpointOpenTo(config: GatewayConfig, endpoint: Endpoint, policy: AccessPolicy): boolean {
  if (endpoint.kind === "aggregate") return true;
  if (endpoint.kind === "server") return policy.allowsServer(endpoint.server);
  const { tools, prompts, resources } = endpoint.virtual;
  return (
    tools.some((pick) => pickOpen(config, policy, "tool", pick)) ||
    prompts.some((pick) => pickOpen(config, policy, "prompt", pick)) ||
    resources.some((pick) => pickOpen(config, policy, "resource", { server: pick.server, name: pick.uri }))
  );
}

/** The endpoint a request target names exactly (see {@link resolveEndpoint}), if `policy` can use anything there. */
export function endpointFor(config: GatewayConfig, target: string, policy: AccessPolicy): Endpoint | undefined {
  const endpoint = resolveEndpoint(config, target);
  return endpoint !== undefined && endpointOpenTo(config, endpoint, policy) ? endpoint : undefined;
}

/**
 * The one answer for a target that is no endpoint (to this caller), in both modes: 404 naming the path as sent (its
 * query left out), whether no such endpoint exists or the caller's policy gives it nothing there.
 */
export function noEndpointError(target: string): GatewayError {
  const path = pathOf(target);
  const under = isUnderMcp(path) ? ", /mcp/<server> (a configured server's name) or a virtual server's path" : "";
  return new GatewayError(
    JsonRpcErrorCode.InvalidRequest,
    `no MCP endpoint at ${JSON.stringify(path)}; use /mcp${under}`,
    {
      httpStatus: 404,
    },
  );
}

/**
 * Whether a request target has an endpoint's shape: `/mcp`, or `/mcp/` and one to four lower-case segments (what
 * every `/mcp/<server>` and virtual server path is). Only such a target is authenticated before it is found to be no
 * endpoint; any other is 404 at once, which says nothing about which endpoints exist.
 */
export function isEndpointShaped(target: string): boolean {
  const path = pathOf(target);
  return path === AGGREGATE_PATH || ENDPOINT_PATH_RE.test(path);
}

/**
 * The endpoint path whose protected resource metadata a target names (RFC 9728 §3.1): a configured endpoint's, else any
 * path of an endpoint's shape (`/mcp/` and one to four lower-case segments) as if it were one, so neither a 401's
 * challenge nor the well-known document tells which endpoints exist; undefined for any other path.
 */
export function metadataPathOf(config: GatewayConfig, target: string): string | undefined {
  const path = pathOf(target);
  return (
    resolveEndpoint(config, path)?.path ?? (path === AGGREGATE_PATH || ENDPOINT_PATH_RE.test(path) ? path : undefined)
  );
}
