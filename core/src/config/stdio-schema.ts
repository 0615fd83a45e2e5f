import { z } from "zod";
import { duration, listenSchema, parseHostPort } from "./fields";

/** An environment variable name for a stdio server's process (POSIX portable: letters, digits, `_`). */
const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * How a stdio server's processes serve backend sessions: `shared` (default) runs one process for every session of the
 * gateway, multiplexing their JSON-RPC ids; `perSession` runs one process per backend session, at most `maxInstances`.
 */
export const stdioModeSchema = z
  .object({
    instances: z.enum(["shared", "perSession"]).default("shared"),
    /** perSession: processes of this server at once; a new backend session past it is refused with a clear error. */
    maxInstances: z.number().int().positive().default(16),
    /**
     * perSession: processes one consumer's sessions may hold at once (default a quarter of maxInstances, at least 1),
     * so that one consumer cannot take every process; anonymous callers (`auth: none`) are not counted.
     */
    maxInstancesPerConsumer: z.number().int().positive().optional(),
    /** The first restart's delay after a crash; doubles on each crash in a row up to `maxBackoff`. */
    initialBackoff: duration.default(250),
    maxBackoff: duration.default(30_000),
  })
  .strict();

/** The fields of a `servers[]` entry that run a local stdio MCP server instead of reaching a URL. */
export const stdioServerFields = {
  /** The executable to spawn (found on PATH); its stdin/stdout speak MCP, its stderr lines go to the gateway log. */
  command: z.string().min(1, "expected an executable name or path").optional(),
  args: z.array(z.string()).optional(),
  /**
   * Variables added to the process's environment, over a minimal inherited one (PATH, HOME, …): the gateway's own
   * environment (its secrets) is not passed on.
   */
  env: z.record(z.string().regex(ENV_NAME_RE, "expected an environment variable name"), z.string()).optional(),
  /** The process's working directory; the gateway's when unset. */
  cwd: z.string().min(1).optional(),
  stdio: stdioModeSchema.optional(),
};

/** The gateway's loopback listener serving stdio servers as Streamable HTTP upstreams (to itself and to Envoy). */
export const stdioBridgeSchema = z
  .object({ listen: listenSchema.default("127.0.0.1:8082") })
  .strict()
  .prefault({});

/** The validated `stdio` settings of one stdio server. */
export type StdioMode = z.output<typeof stdioModeSchema>;

/**
 * The URL at which the bridge serves one stdio server: `http://<listen host>:<port>/stdio/<name>/mcp`, the wildcard
 * hosts read as loopback (the gateway and a co-located Envoy reach it there).
 */
export function stdioBridgeUrl(listen: string, name: string): string {
  const parsed = parseHostPort(listen);
  if (!parsed) throw new Error(`stdioBridge.listen: not host:port: ${JSON.stringify(listen)}`);
  // listen hosts have no ":" (parseHostPort): IPv4 or a name; the wildcard is reached on loopback.
  const host = parsed.host === "0.0.0.0" ? "127.0.0.1" : parsed.host;
  return `http://${host}:${String(parsed.port)}/stdio/${name}/mcp`;
}
