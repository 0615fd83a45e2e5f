import type { GatewayConfig } from "./schema";

/**
 * Cross-field rules of the endpoints: every virtual server's name and path is its own (no other virtual server's, no
 * `/mcp/<server>` of a configured server, not `/mcp`), every pick names a configured server, and a rename (`as`)
 * goes with one exact name, not a glob.
 */
export function checkEndpoints(config: GatewayConfig): string[] {
  const issues: string[] = [];
  const servers = new Set(config.servers.map((server) => server.name));
  const paths = new Map<string, string>(
    config.servers.map((server) => [`/mcp/${server.name}`, `server "${server.name}"`]),
  );
  const names = new Set<string>();
  config.virtualServers.forEach((virtual, index) => {
    const at = `virtualServers[${index}]`;
    if (names.has(virtual.name)) issues.push(`${at}.name: virtual server "${virtual.name}" is defined twice`);
    names.add(virtual.name);
    const taken = paths.get(virtual.path);
    if (taken !== undefined)
      issues.push(`${at}.path: "${virtual.path}" is already the endpoint of ${taken}; choose another path`);
    else paths.set(virtual.path, `virtual server "${virtual.name}"`);
    for (const kind of ["tools", "prompts", "resources"] as const) {
      virtual[kind].forEach((pick, pickIndex) => {
        if (!servers.has(pick.server))
          issues.push(`${at}.${kind}[${pickIndex}].server: no server named "${pick.server}" is configured`);
        if ("as" in pick && pick.as !== undefined && pick.name.includes("*"))
          issues.push(`${at}.${kind}[${pickIndex}].as: a rename needs one exact name, not the glob "${pick.name}"`);
      });
    }
  });
  return issues;
}
