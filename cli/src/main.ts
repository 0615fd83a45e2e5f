#!/usr/bin/env node
import { createLogger, loadConfigFile, lookupTable, type LogLevel } from "@mcp-gateway/core";
import { parseArgs, type ParsedArgs } from "./args";
import { COMMANDS, overview } from "./commands";
import { startGatewayProcess, type GatewayProcess, type Roles } from "./gateway-process";
import { hashKeyCommand } from "./hash-key-command";
import { renderEnvoyCommand } from "./render-envoy-command";
import { validateCommand, type CommandOutput } from "./validate-command";

type Env = Readonly<Record<string, string | undefined>>;

const ROLES = lookupTable<Roles>({
  serve: { router: false, broker: true, standalone: true },
  envoy: { router: true, broker: true },
  router: { router: true, broker: false },
  broker: { router: false, broker: true },
});

const LOG_LEVELS = new Set(["debug", "info", "warn", "error"]);

const stdio: CommandOutput = { out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text) };

/** What `main` started: a running gateway to stop on a signal, or nothing (the command has finished). */
export interface MainResult {
  code: number;
  gateway?: GatewayProcess;
}

function flag(args: ParsedArgs, name: string): string | undefined {
  const value = args.flags[name];
  return typeof value === "string" ? value : undefined;
}

/** Runs `mcp-gateway <command>`; servers keep running (the result carries them) until a signal. */
export async function main(argv: readonly string[], env: Env, output: CommandOutput = stdio): Promise<MainResult> {
  const args = parseArgs(argv);
  const command = args.command;
  if (command === undefined || (command === "help" && args.positionals.length === 0)) {
    (command === undefined && !args.flags["help"] ? output.err : output.out)(overview());
    return { code: command === undefined && !args.flags["help"] ? 2 : 0 };
  }
  const help = COMMANDS[command];
  if (!help) {
    output.err(`mcp-gateway: unknown command ${JSON.stringify(command)}\n\n${overview()}`);
    return { code: 2 };
  }
  if (args.flags["help"]) {
    output.out(`${help.usage}\n`);
    return { code: 0 };
  }
  if (command === "validate") return { code: await validateCommand(args.positionals[0], env, output) };
  if (command === "hash-key") {
    return { code: await hashKeyCommand(args.positionals[0], args.flags["generate"] === true, output) };
  }
  if (command === "render-envoy") return { code: await renderEnvoyCommand(args.positionals[0], args.flags, env) };
  return serveCommand(args, ROLES[command] as Roles, env, output);
}

async function serveCommand(args: ParsedArgs, roles: Roles, env: Env, output: CommandOutput): Promise<MainResult> {
  const configPath = flag(args, "config") ?? env["MCP_GATEWAY_CONFIG"];
  if (!configPath) {
    output.err(`mcp-gateway ${args.command ?? ""}: --config PATH (or MCP_GATEWAY_CONFIG) is required\n`);
    return { code: 2 };
  }
  const level = flag(args, "log-level") ?? env["MCP_GATEWAY_LOG_LEVEL"] ?? "info";
  if (!LOG_LEVELS.has(level)) {
    output.err(`mcp-gateway: --log-level must be debug, info, warn or error, got ${JSON.stringify(level)}\n`);
    return { code: 2 };
  }
  const logger = createLogger({ level: level as LogLevel });
  try {
    const config = await loadConfigFile(configPath, env);
    const gateway = await startGatewayProcess({
      config,
      configPath,
      env,
      roles,
      logger,
      announce: (line) => output.out(`${line}\n`),
    });
    return { code: 0, gateway };
  } catch (error: unknown) {
    output.err(`mcp-gateway: ${error instanceof Error ? error.message : String(error)}\n`);
    return { code: 1 };
  }
}

if (require.main === module) {
  main(process.argv.slice(2), process.env).then(
    ({ code, gateway }) => {
      if (!gateway) process.exit(code);
      const stop = (): void => {
        gateway.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    },
    (error: unknown) => {
      process.stderr.write(`mcp-gateway: ${String(error)}\n`);
      process.exit(1);
    },
  );
}
