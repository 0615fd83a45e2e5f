import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "@mcp-gateway/core";
import { REPO_ROOT, startNode, type RunningProcess } from "@mcp-gateway/example-kit";
import { DEFAULT_RENDER_OPTIONS, renderEnvoyConfig } from "@mcp-gateway/router";
import { startEnvoy, type EnvoyProcess } from "../support/envoy-process";
import { freePort } from "../support/redis-server";
import { waitForUpstreams } from "./gateway-stack";

/** The bin script of an installed stdio MCP server package, e.g. `server-memory`, run with this Node. */
export const stdioServerScript = (name: string): string =>
  join(REPO_ROOT, "node_modules", "@modelcontextprotocol", name, "dist", "index.js");

/** The stacks' `sessions.secret` (tests derive the stdio bridge's token from it, as the gateway does). */
export const STACK_SESSION_SECRET = "e2e-session-secret-0123456789abcdef";

/** A gateway (standalone, or Envoy mode in one process behind a real Envoy) whose upstreams are stdio servers. */
export interface StdioStack {
  /** The public endpoint clients connect to. */
  url: string;
  /** What the gateway process(es) printed so far. */
  output(): string;
  /** Stops the gateway process(es) (SIGTERM: a graceful shutdown), leaving Envoy. */
  stopGateway(): Promise<void>;
  envoy: EnvoyProcess | undefined;
  /** The stdio bridge's port. */
  bridgePort: number;
  /** The config file the gateway watches, and its text. */
  configPath: string;
  yaml: string;
  /** The pids the gateway logged as started, per server name, in order. */
  startedPids(server: string): number[];
  stop(): Promise<void>;
}

/** Pids of `stdio server started` log lines for `server`. */
function pidsIn(output: string, server: string): number[] {
  return output
    .split("\n")
    .filter((line) => line.includes('"msg":"stdio server started"') && line.includes(`"server":"${server}"`))
    .map((line) => Number(/"pid":(\d+)/.exec(line)?.[1]));
}

/** Standalone; Envoy mode with router and broker in one process; or apart, sharing sessions through Redis. */
export type StdioStackKind = "standalone" | "envoy" | { split: string };

/**
 * Starts the gateway on `servers` (YAML entries without the dash) at log level info (stderr lines are info), on free
 * loopback ports; in Envoy mode behind a real Envoy on the rendered config. `{ split: redisUrl }`: router and broker in
 * separate processes (the broker runs the stdio bridge).
 */
export async function startStdioStack(
  kind: StdioStackKind,
  servers: string[],
  /** The config's access sections (`auth`, `consumers`, `policies`); default `auth: none`. */
  access = "auth: none",
): Promise<StdioStack> {
  const dir = await mkdtemp(join(tmpdir(), "mcp-stdio-"));
  const [router = 0, broker = 0, standalone = 0, bridge = 0, metrics = 0] = await Promise.all(
    [1, 2, 3, 4, 5].map(() => freePort()),
  );
  const yaml = `version: 1
${access}
servers:
${servers.map((s) => `  - { ${s} }`).join("\n")}
sessions: { secret: "${STACK_SESSION_SECRET}", backendInitTimeout: 10s, store: "${typeof kind === "object" ? kind.split : "memory"}" }
health: { interval: 300ms, maxBackoff: 1s, timeout: 6s }
router: { listen: "127.0.0.1:${router}", metricsListen: "127.0.0.1:${metrics}" }
broker: { listen: "127.0.0.1:${broker}" }
standalone: { listen: "127.0.0.1:${standalone}" }
stdioBridge: { listen: "127.0.0.1:${bridge}" }
`;
  const configPath = join(dir, "gateway.yaml");
  await writeFile(configPath, yaml);
  const commands = kind === "standalone" ? ["serve"] : kind === "envoy" ? ["envoy"] : ["router", "broker"];
  const run = (command: string): RunningProcess =>
    startNode("cli/dist/main.js", [command, "--config", configPath, "--log-level", "info"]);
  const gateways = commands.map(run);
  let envoy: EnvoyProcess | undefined;
  const stopGateway = async (): Promise<void> => void (await Promise.all(gateways.map((g) => g.stop())));
  const stop = async (): Promise<void> => {
    await envoy?.stop();
    await stopGateway();
    await rm(dir, { recursive: true, force: true });
  };
  const output = (): string => gateways.map((g) => g.output()).join("");
  try {
    await Promise.all(gateways.map((g) => g.waitFor(/listening on/, 30_000)));
    await waitForUpstreams(`http://127.0.0.1:${kind === "standalone" ? standalone : broker}`);
    if (kind !== "standalone") {
      const rendered = renderEnvoyConfig(parseConfig(yaml, {}), {
        ...DEFAULT_RENDER_OPTIONS,
        listener: { address: "127.0.0.1", port: 0 },
        admin: { address: "127.0.0.1", port: 0 },
        router: { address: "127.0.0.1", port: router },
        broker: { address: "127.0.0.1", port: broker },
      });
      envoy = await startEnvoy(rendered, { accessLog: "rendered" });
    }
  } catch (error: unknown) {
    await stop();
    throw error;
  }
  return {
    url: envoy ? `${envoy.url}/mcp` : `http://127.0.0.1:${standalone}/mcp`,
    output,
    stopGateway,
    envoy,
    bridgePort: bridge,
    configPath,
    yaml,
    startedPids: (server) => pidsIn(output(), server),
    stop,
  };
}

/** True while a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
