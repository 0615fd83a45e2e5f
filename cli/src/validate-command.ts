import { audienceWarnings, ConfigError, loadConfigFile, prefixCollisionWarnings } from "@mcp-gateway/core";

/** Output streams of a command (stdout, stderr), injectable for tests. */
export interface CommandOutput {
  out(text: string): void;
  err(text: string): void;
}

/** `mcp-gateway validate <config>...`: checks every file and reports each; 0 when all are valid, 1 otherwise. */
export async function validateCommand(
  configPaths: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  output: CommandOutput,
): Promise<number> {
  let code = 0;
  for (const configPath of configPaths) code = Math.max(code, await validateFile(configPath, env, output));
  return code;
}

async function validateFile(
  configPath: string,
  env: Readonly<Record<string, string | undefined>>,
  output: CommandOutput,
): Promise<number> {
  try {
    const config = await loadConfigFile(configPath, env);
    const names = config.servers.map((s) => s.name);
    output.out(
      `valid: ${configPath} (${names.length === 0 ? "no servers" : `${names.length} servers: ${names.join(", ")}`})\n`,
    );
    for (const warning of [...prefixCollisionWarnings(config), ...audienceWarnings(config)]) {
      output.err(`warning: ${configPath}: ${warning}\n`);
    }
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
