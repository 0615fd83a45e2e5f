import { ConfigError, loadConfigFile } from "@mcp-gateway/core";

/** Output streams of a command (stdout, stderr), injectable for tests. */
export interface CommandOutput {
  out(text: string): void;
  err(text: string): void;
}

/** `mcp-gateway validate <config>`: 0 when valid, 1 listing every problem by YAML path, 2 on a usage error. */
export async function validateCommand(
  configPath: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  output: CommandOutput,
): Promise<number> {
  if (!configPath) {
    output.err("usage: mcp-gateway validate <config>\n");
    return 2;
  }
  try {
    const config = await loadConfigFile(configPath, env);
    output.out(
      `valid: ${configPath} (${config.servers.length} servers: ${config.servers.map((s) => s.name).join(", ")})\n`,
    );
    return 0;
  } catch (error: unknown) {
    if (error instanceof ConfigError) {
      output.err(`invalid: ${configPath}\n${error.issues.map((issue) => `  ${issue}\n`).join("")}`);
    } else {
      output.err(`cannot read ${configPath}: ${error instanceof Error ? error.message : String(error)}\n`);
    }
    return 1;
  }
}
