#!/usr/bin/env node
import { ConfigError, createLogger, loadConfigFile, type LogLevel } from "@mcp-gateway/core";
import { parseArgs } from "./args";
import { startGatewayProcess, type Roles } from "./gateway-process";
import { renderEnvoyCommand } from "./render-envoy-command";

const USAGE = `Usage: mcp-gateway <command> [options]

Commands:
  envoy    run the ext_proc router and the broker in one process (Envoy mode, single replica)
  router   run only the ext_proc router (needs sessions.store: redis://… and sessions.secret)
  broker   run only the broker (same requirements as router)
  render-envoy <config> [--out FILE]   write the Envoy config for a gateway config (stdout by default)

Options:
  --config PATH       gateway config file (env MCP_GATEWAY_CONFIG)
  --log-level LEVEL   debug | info | warn | error (env MCP_GATEWAY_LOG_LEVEL, default info)
  --help              show this help
`;

const ROLES: Record<string, Roles> = {
  envoy: { router: true, broker: true },
  router: { router: true, broker: false },
  broker: { router: false, broker: true },
};

/** Runs the CLI; resolves to the process exit code (servers keep running until a signal). */
export async function main(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Promise<number> {
  const args = parseArgs(argv);
  if (args.command === "render-envoy") return renderEnvoyCommand(args.positionals[0], args.flags["out"], env);
  const roles = args.command ? ROLES[args.command] : undefined;
  if (args.flags["help"] || !roles) {
    (roles || args.flags["help"] ? process.stdout : process.stderr).write(USAGE);
    return args.flags["help"] ? 0 : 2;
  }
  const configPath = typeof args.flags["config"] === "string" ? args.flags["config"] : env["MCP_GATEWAY_CONFIG"];
  if (!configPath) {
    process.stderr.write("mcp-gateway: --config PATH (or MCP_GATEWAY_CONFIG) is required\n");
    return 2;
  }
  const level =
    (typeof args.flags["log-level"] === "string" ? args.flags["log-level"] : env["MCP_GATEWAY_LOG_LEVEL"]) ?? "info";
  const logger = createLogger({ level: level as LogLevel });
  try {
    const config = await loadConfigFile(configPath, env);
    const gateway = await startGatewayProcess({
      config,
      configPath,
      env,
      roles,
      logger,
      announce: (line) => process.stdout.write(`${line}\n`),
    });
    const stop = (signal: string): void => {
      logger.info("shutting down", { signal });
      gateway.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once("SIGINT", () => stop("SIGINT"));
    process.once("SIGTERM", () => stop("SIGTERM"));
    return 0;
  } catch (error: unknown) {
    process.stderr.write(
      `mcp-gateway: ${error instanceof ConfigError || error instanceof Error ? error.message : String(error)}\n`,
    );
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2), process.env).then(
    (code) => {
      if (code !== 0) process.exit(code);
    },
    (error: unknown) => {
      process.stderr.write(`mcp-gateway: ${String(error)}\n`);
      process.exit(1);
    },
  );
}
