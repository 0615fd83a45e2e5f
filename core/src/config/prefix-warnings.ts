import type { GatewayConfig } from "./schema";

/**
 * Prefixes that can make two servers' tool or prompt names meet at the aggregated endpoint: a server without a prefix
 * next to one with a prefix (its `weather_get_forecast` is `weather`'s `get_forecast` at `/mcp`). Not an error, since
 * nothing collides until an upstream lists such a name, but then the earlier server keeps it and the other's item is
 * refused at every endpoint. Prefixes of each other are refused outright (see crossCheck).
 */
export function prefixCollisionWarnings(config: GatewayConfig): string[] {
  const warnings: string[] = [];
  config.servers.forEach((plain, index) => {
    if (plain.prefix !== "") return;
    for (const other of config.servers) {
      if (other.prefix === "") continue;
      warnings.push(
        `servers[${index}].prefix: "${plain.name}" has no prefix, so a tool or prompt of it named "${other.prefix}…" meets one of "${other.name}" (prefix "${other.prefix}") at /mcp; the earlier server keeps the name and the other's is refused at every endpoint`,
      );
    }
  });
  return warnings;
}
