import { writeFile } from "node:fs/promises";
import { loadConfigFile } from "@mcp-gateway/core";
import { renderEnvoyYaml } from "@mcp-gateway/router";

/** `mcp-gateway render-envoy <config> [--out FILE]`: prints or writes the Envoy config; exit code 1 on a bad config. */
export async function renderEnvoyCommand(
  configPath: string | undefined,
  out: string | true | undefined,
  env: Readonly<Record<string, string | undefined>>,
): Promise<number> {
  if (!configPath) {
    process.stderr.write("usage: mcp-gateway render-envoy <config> [--out FILE]\n");
    return 2;
  }
  try {
    const yaml = renderEnvoyYaml(await loadConfigFile(configPath, env), configPath);
    if (typeof out === "string") await writeFile(out, yaml);
    else process.stdout.write(yaml);
    return 0;
  } catch (error: unknown) {
    process.stderr.write(`mcp-gateway: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
