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

/** A gateway (standalone, or Envoy mode in one process behind a real Envoy) whose upstreams are stdio servers. */
export interface StdioStack {
  /** The public endpoint clients connect to. */
  url: string;
  gateway: RunningProcess;
  envoy: EnvoyProcess | undefined;
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

/**
 * Starts the gateway on `servers` (YAML entries without the dash) at log level info (stderr lines are info), on free
 * loopback ports; `envoy`: Envoy mode (router and broker in one process) behind the rendered Envoy config.
 */
export async function startStdioStack(kind: "standalone" | "envoy", servers: string[]): Promise<StdioStack> {
  const dir = await mkdtemp(join(tmpdir(), "mcp-stdio-"));
  const [router = 0, broker = 0, standalone = 0, bridge = 0, metrics = 0] = await Promise.all(
    [1, 2, 3, 4, 5].map(() => freePort()),
  );
  const yaml = `version: 1
auth: none
servers:
${servers.map((s) => `  - { ${s} }`).join("\n")}
sessions: { secret: "e2e-session-secret-0123456789abcdef", backendInitTimeout: 10s }
health: { interval: 300ms, maxBackoff: 1s, timeout: 2s }
router: { listen: "127.0.0.1:${router}", metricsListen: "127.0.0.1:${metrics}" }
broker: { listen: "127.0.0.1:${broker}" }
standalone: { listen: "127.0.0.1:${standalone}" }
stdioBridge: { listen: "127.0.0.1:${bridge}" }
`;
  const configPath = join(dir, "gateway.yaml");
  await writeFile(configPath, yaml);
  const command = kind === "standalone" ? "serve" : "envoy";
  const gateway = startNode("cli/dist/main.js", [command, "--config", configPath, "--log-level", "info"]);
  let envoy: EnvoyProcess | undefined;
  const stop = async (): Promise<void> => {
    await envoy?.stop();
    await gateway.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await gateway.waitFor(kind === "standalone" ? /gateway listening on/ : /broker listening on/, 30_000);
    await waitForUpstreams(`http://127.0.0.1:${kind === "standalone" ? standalone : broker}`);
    if (kind === "envoy") {
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
    gateway,
    envoy,
    configPath,
    yaml,
    startedPids: (server) => pidsIn(gateway.output(), server),
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
