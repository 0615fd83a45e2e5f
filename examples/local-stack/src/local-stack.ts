import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { REPO_ROOT, startExampleServer, startNode, type RunningProcess } from "@mcp-gateway/example-kit";

/** Ports of the example config (examples/gateway.yaml). */
export const STACK_PORTS = { gateway: 8080, weather: 9101, notes: 9102, everything: 9103, calendar: 9104 } as const;

/**
 * The demo consumers' API keys of examples/gateway.yaml (which stores only their hashes). Published for `npm start`;
 * never use them outside this local stack.
 */
export const DEMO_KEYS = {
  alice: "mcpgw_demo_alice_weather_only",
  bob: "mcpgw_demo_bob_notes_and_everything",
  ops: "mcpgw_demo_ops_everything",
} as const;

/** The processes of a running local stack. */
export interface LocalStack {
  gatewayUrl: string;
  processes: RunningProcess[];
  stop(): Promise<void>;
}

/** The compiled preload (dist/, also when this module runs from src/ under jest). */
const LOOPBACK_PRELOAD = join(__dirname, "..", "dist", "loopback-only.js");

/** Path of server-everything's entry point, resolved from this package's dependencies. */
function serverEverythingEntry(): string {
  const require = createRequire(__filename);
  return join(dirname(require.resolve("@modelcontextprotocol/server-everything/package.json")), "dist", "index.js");
}

/** Starts `@modelcontextprotocol/server-everything` in Streamable HTTP mode on 127.0.0.1:`port`. */
export async function startServerEverything(port: number): Promise<RunningProcess> {
  const everything = startNode(serverEverythingEntry(), ["streamableHttp"], { PORT: String(port) }, [
    "-r",
    LOOPBACK_PRELOAD,
  ]);
  await everything.waitFor(/listening on port \d+/);
  return everything;
}

/**
 * Starts the example servers (weather and notes of the 2025 generation, calendar of 2026-07-28), server-everything
 * and the standalone gateway with `configPath`.
 */
export async function startLocalStack(configPath = resolve(REPO_ROOT, "examples/gateway.yaml")): Promise<LocalStack> {
  const processes: RunningProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(
      processes
        .splice(0)
        .reverse()
        .map((p) => p.stop()),
    );
  };
  try {
    processes.push(await startExampleServer("weather", STACK_PORTS.weather));
    processes.push(await startExampleServer("notes", STACK_PORTS.notes));
    processes.push(await startServerEverything(STACK_PORTS.everything));
    processes.push(await startExampleServer("calendar", STACK_PORTS.calendar));
    const gateway = startNode("cli/dist/main.js", ["serve", "--config", configPath]);
    processes.push(gateway);
    const ready = await gateway.waitFor(/gateway listening on (http:\S+)/);
    return { gatewayUrl: ready[1] ?? "", processes, stop };
  } catch (error: unknown) {
    await stop();
    throw error;
  }
}
