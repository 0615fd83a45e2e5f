#!/usr/bin/env node
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { configJsonSchema, createLogger, loadConfigFile, lookupTable, type LogLevel } from "@mcp-gateway/core";
import { parseCommandArgs, UsageError, type CommandArgs, type ParsedArgs } from "./args";
import { COMMANDS, overview } from "./commands";
import { startGatewayProcess, type GatewayProcess, type Roles } from "./gateway-process";
import { controllerCommand } from "./controller-command";
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

/** `mcp-gateway [--help | --version]` and `mcp-gateway help [command]`. */
const TOP_LEVEL_ARGS: CommandArgs = { options: {}, positionals: { min: 0, max: 0 } };
const HELP_ARGS: CommandArgs = { options: {}, positionals: { min: 0, max: 1 } };

const stdio: CommandOutput = { out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text) };

/** What `main` started: a running gateway to stop on a signal, or nothing (the command has finished). */
export interface MainResult {
  code: number;
  gateway?: GatewayProcess;
  /** Another long-running service (the controller), closed on a signal like a gateway. */
  service?: { close(): Promise<void> };
}

/** The version of this package, from its package.json (shipped beside `dist/` in every install). */
export function cliVersion(): string {
  const pkg: unknown = JSON.parse(readFileSync(join(__dirname, "..", "package.json"), "utf8"));
  const version = typeof pkg === "object" && pkg !== null && "version" in pkg ? pkg.version : undefined;
  return typeof version === "string" ? version : "unknown";
}

function flag(args: ParsedArgs, name: string): string | undefined {
  const value = args.flags[name];
  return typeof value === "string" ? value : undefined;
}

/** Runs `mcp-gateway <command>`; servers keep running (the result carries them) until a signal. */
export async function main(argv: readonly string[], env: Env, output: CommandOutput = stdio): Promise<MainResult> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    output.err(overview());
    return { code: 2 };
  }
  const topLevel = first.startsWith("-") || first === "help";
  const name = topLevel ? undefined : first;
  const help = name === undefined ? undefined : COMMANDS[name];
  if (name !== undefined && !help) {
    output.err(`mcp-gateway: unknown command ${JSON.stringify(name)}\n\n${overview()}`);
    return { code: 2 };
  }
  let args: ParsedArgs;
  try {
    args = parseCommandArgs(
      first.startsWith("-") ? argv : rest,
      help?.args ?? (first === "help" ? HELP_ARGS : TOP_LEVEL_ARGS),
    );
  } catch (error: unknown) {
    if (!(error instanceof UsageError)) throw error;
    const usage = name === undefined ? "mcp-gateway --help" : `mcp-gateway ${name} --help`;
    output.err(`mcp-gateway${name === undefined ? "" : ` ${name}`}: ${error.message}\nRun \`${usage}\` for usage.\n`);
    return { code: 2 };
  }
  if (args.flags["version"] === true) {
    output.out(`mcp-gateway ${cliVersion()}\n`);
    return { code: 0 };
  }
  if (!help) return helpCommand(args.positionals[0], output);
  if (args.flags["help"] === true) {
    output.out(`${help.usage}\n`);
    return { code: 0 };
  }
  return runCommand(name ?? "", args, env, output);
}

/** `mcp-gateway --help`, `mcp-gateway help` (the overview) and `mcp-gateway help <command>` (its usage). */
function helpCommand(name: string | undefined, output: CommandOutput): MainResult {
  if (name === undefined) {
    output.out(overview());
    return { code: 0 };
  }
  const help = COMMANDS[name];
  if (!help) {
    output.err(`mcp-gateway: unknown command ${JSON.stringify(name)}\n\n${overview()}`);
    return { code: 2 };
  }
  output.out(`${help.usage}\n`);
  return { code: 0 };
}

async function runCommand(name: string, args: ParsedArgs, env: Env, output: CommandOutput): Promise<MainResult> {
  if (name === "validate") return { code: await validateCommand(args.positionals, env, output) };
  if (name === "hash-key") {
    return { code: await hashKeyCommand(args.positionals[0], args.flags["generate"] === true, output) };
  }
  if (name === "schema") {
    output.out(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
    return { code: 0 };
  }
  if (name === "controller") return controllerCommand(args, env, output);
  if (name === "render-envoy") {
    return { code: await renderEnvoyCommand(args.positionals[0] ?? "", args.flags, env, output) };
  }
  return serveCommand(name, args, ROLES[name] as Roles, env, output);
}

async function serveCommand(
  name: string,
  args: ParsedArgs,
  roles: Roles,
  env: Env,
  output: CommandOutput,
): Promise<MainResult> {
  const configPath = flag(args, "config") ?? env["MCP_GATEWAY_CONFIG"];
  if (!configPath) {
    output.err(`mcp-gateway ${name}: --config PATH (or MCP_GATEWAY_CONFIG) is required\n`);
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

/** Runs the command line of this process (the `mcp-gateway` bin, or `node cli/dist/main.js`) and exits with its code. */
export function runFromCommandLine(): void {
  main(process.argv.slice(2), process.env).then(
    ({ code, gateway, service }) => {
      const running = gateway ?? service;
      if (!running) process.exit(code);
      const stop = (): void => {
        running.close().then(
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

if (require.main === module) runFromCommandLine();
