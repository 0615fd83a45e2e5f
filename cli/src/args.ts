import { parseArgs, type ParseArgsConfig } from "node:util";
import { parseHostPort } from "@mcp-gateway/core";

/** The options a command accepts (`node:util` parseArgs form) and how many positional arguments it takes. */
export interface CommandArgs {
  options: NonNullable<ParseArgsConfig["options"]>;
  /** How many positional arguments, and what they are (`<config>...`) for the message when one is missing. */
  positionals: { min: number; max: number; name?: string };
}

/** Parsed command line of one command: its positional arguments and `--option` values. */
export interface ParsedArgs {
  positionals: string[];
  flags: Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;
}

/** Options every command takes. */
export const COMMON_OPTIONS: CommandArgs["options"] = {
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
};

/** A mistake on the command line (unknown option, missing value, wrong number of arguments): exit code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/**
 * Parses a command's arguments strictly: an unknown option, an option without its value and an unexpected argument
 * are {@link UsageError}s, never silently ignored. `--help` and `--version` skip the positional count.
 */
export function parseCommandArgs(argv: readonly string[], spec: CommandArgs): ParsedArgs {
  let parsed: { values: ParsedArgs["flags"]; positionals: string[] };
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { ...COMMON_OPTIONS, ...spec.options },
      strict: true,
      allowPositionals: true,
    });
  } catch (error: unknown) {
    // node:util's messages name the option ("Unknown option '--otu'", "Option '--out <value>' argument missing"); its
    // errors may come from another realm (jest), so they are recognised by their code rather than by instanceof.
    const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
    if (typeof code !== "string" || !code.startsWith("ERR_PARSE_ARGS_") || typeof message !== "string") throw error;
    throw new UsageError(message.split(/\.\s/)[0] ?? message);
  }
  const { values, positionals } = parsed;
  if (values["help"] !== true && values["version"] !== true) {
    const { min, max, name = "argument" } = spec.positionals;
    if (positionals.length > max) {
      const extra = positionals.slice(max).map((arg) => JSON.stringify(arg));
      throw new UsageError(`unexpected argument${extra.length > 1 ? "s" : ""} ${extra.join(" ")}`);
    }
    if (positionals.length < min) throw new UsageError(`missing ${name}`);
  }
  return { positionals, flags: values };
}

/** Splits `host:port` into its parts (the config's rule, {@link parseHostPort}); throws naming the flag when malformed. */
export function splitHostPort(value: string, what: string): { host: string; port: number } {
  const parsed = parseHostPort(value);
  if (!parsed) throw new Error(`${what}: expected host:port with a port from 0 to 65535, got ${JSON.stringify(value)}`);
  return parsed;
}
