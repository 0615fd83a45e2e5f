import { nullRecord } from "@mcp-gateway/core";

/** Parsed command line: the command, its positional arguments and `--flag value` options. */
export interface ParsedArgs {
  command: string | undefined;
  positionals: string[];
  flags: Record<string, string | true>;
}

/** Parses `cmd pos --flag value --switch --key=value`; a flag followed by another flag (or nothing) is a switch. */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const positionals: string[] = [];
  // Flag names are the user's: a null-prototype record, so `--constructor` or `--__proto__` are plain (unknown) flags.
  const flags = nullRecord<string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (!arg.startsWith("--")) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    if (eq > 0) {
      flags[arg.slice(2, eq)] = arg.slice(eq + 1);
      continue;
    }
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith("--")) {
      flags[arg.slice(2)] = next;
      i++;
    } else {
      flags[arg.slice(2)] = true;
    }
  }
  const [command, ...rest] = positionals;
  return { command, positionals: rest, flags };
}

/** Splits `host:port` into its parts; throws naming the flag when malformed. */
export function splitHostPort(value: string, what: string): { host: string; port: number } {
  const colon = value.lastIndexOf(":");
  const port = Number(value.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`${what}: expected host:port, got ${JSON.stringify(value)}`);
  return { host: value.slice(0, colon), port };
}
