import { writeFile } from "node:fs/promises";
import { loadConfigFile, lookupTable } from "@mcp-gateway/core";
import { DEFAULT_RENDER_OPTIONS, renderEnvoyYaml, type Endpoint, type EnvoyRenderOptions } from "@mcp-gateway/router";
import { splitHostPort, type ParsedArgs } from "./args";
import type { CommandOutput } from "./validate-command";

type Flags = ParsedArgs["flags"];

const ENDPOINT_FLAGS = lookupTable<keyof Omit<EnvoyRenderOptions, "messageTimeoutMs">>({
  listen: "listener",
  router: "router",
  broker: "broker",
  admin: "admin",
});

/** Render options from `--listen/--router/--broker/--admin host:port` (defaults: the example topology on loopback). */
export function renderOptions(flags: Flags): EnvoyRenderOptions {
  const options: EnvoyRenderOptions = { ...DEFAULT_RENDER_OPTIONS };
  for (const [flag, key] of Object.entries(ENDPOINT_FLAGS)) {
    const value = flags[flag];
    if (typeof value !== "string") continue;
    const { host, port } = splitHostPort(value, `--${flag}`);
    options[key] = { address: host, port } satisfies Endpoint;
  }
  return options;
}

/** `mcp-gateway render-envoy <config> [--out FILE] [--listen/--router/--broker/--admin host:port]`. */
export async function renderEnvoyCommand(
  configPath: string,
  flags: Flags,
  env: Readonly<Record<string, string | undefined>>,
  output: CommandOutput,
): Promise<number> {
  try {
    const addressFlags = Object.keys(ENDPOINT_FLAGS)
      .filter((flag) => typeof flags[flag] === "string")
      .map((flag) => ` --${flag} ${String(flags[flag])}`);
    const source = `${configPath}${addressFlags.join("")}`;
    const yaml = renderEnvoyYaml(await loadConfigFile(configPath, env), source, renderOptions(flags));
    const out = flags["out"];
    if (typeof out === "string") await writeFile(out, yaml);
    else output.out(yaml);
    return 0;
  } catch (error: unknown) {
    output.err(`mcp-gateway: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
