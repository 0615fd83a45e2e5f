// Kept identical in examples/weather-server and examples/notes-server: each example is a self-contained package.
import { parseArgs } from "node:util";
import { z } from "zod";

/** Validated command-line options of an example server. */
export interface CliOptions {
  /** Interface to bind. */
  readonly host: string;
  /** TCP port; 0 picks a free one. */
  readonly port: number;
  /** Extra Host-header names to accept (`--allowed-host`, repeatable); absent means localhost names only. */
  readonly allowedHosts?: readonly string[];
}

const portSchema = z
  .string()
  .regex(/^\d+$/, "must be a whole number")
  .transform(Number)
  .pipe(z.number().int().max(65535, "must be at most 65535"));

const cliSchema = z.object({
  host: z.string().min(1).default("127.0.0.1"),
  port: portSchema.optional(),
  "allowed-host": z.array(z.string().min(1)).optional(),
});

/** Parses `--port N`, `--host H` and `--allowed-host H`; throws on unknown flags, positionals or bad values. */
export function parseCliArgs(argv: readonly string[], defaultPort: number): CliOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      port: { type: "string" },
      host: { type: "string" },
      "allowed-host": { type: "string", multiple: true },
    },
    strict: true,
    allowPositionals: false,
  });
  const parsed = cliSchema.safeParse(values);
  if (!parsed.success) throw new Error(`invalid arguments: ${z.prettifyError(parsed.error)}`, { cause: parsed.error });
  const { host, port = defaultPort, "allowed-host": allowedHosts } = parsed.data;
  return Object.freeze({ host, port, ...(allowedHosts ? { allowedHosts: Object.freeze(allowedHosts) } : {}) });
}
