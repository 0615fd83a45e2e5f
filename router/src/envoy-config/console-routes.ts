import type { GatewayConfig } from "@mcp-gateway/core";
import { extProcDisabled } from "./llm-routes";

/** An Envoy route's path match as the gateway renders it: an exact `path` or a `prefix`, both case-sensitive. */
export type PathMatch = { path: string } | { prefix: string };

/** The web console's route matches: `/ui` itself and every path under `/ui/` (not `/uix`, nor `/UI`). */
export const CONSOLE_MATCHES: readonly { name: string; match: PathMatch }[] = [
  { name: "console", match: { path: "/ui" } },
  { name: "console_files", match: { prefix: "/ui/" } },
];

/**
 * The web console (console.enabled): /ui and /ui/… go to the broker without ext_proc, since they are static files with
 * no MCP in them; the broker checks Host and Origin as for /mcp. First, so no upstream route can take them.
 */
export function consoleRoutes(config: GatewayConfig, brokerCluster: string): object[] {
  if (!config.console.enabled) return [];
  return CONSOLE_MATCHES.map(({ match, name }) => ({
    name,
    match,
    route: { cluster: brokerCluster, timeout: "15s" },
    typed_per_filter_config: extProcDisabled(),
  }));
}
