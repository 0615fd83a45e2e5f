import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { REPO_ROOT, startExampleServer, startNode, type RunningProcess } from "@mcp-gateway/example-kit";
import { parseDocument } from "yaml";

/** Ports of the example config (examples/gateway.yaml), which `npm start` uses. */
export const STACK_PORTS = { gateway: 8080, weather: 9101, notes: 9102, everything: 9103, calendar: 9104 } as const;

/** A port for each process of the local stack. */
export type StackPorts = { [name in keyof typeof STACK_PORTS]: number };

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
  /** The LLM proxy, when the environment enabled it (see {@link llmDemoSettings}). */
  llm?: { url: string; model: string };
  /** The ports the processes listen on. */
  ports: StackPorts;
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

/** Options of {@link startLocalStack}. */
export interface LocalStackOptions {
  /** The gateway config (default examples/gateway.yaml). */
  configPath?: string;
  /**
   * Ports instead of {@link STACK_PORTS} (0 = a free one), so that a second stack (a test) runs beside `npm start`.
   * With any given, the gateway runs a temporary copy of the config (see {@link secondStackConfig}).
   */
  ports?: Partial<StackPorts>;
  /** Where `OPENAI_API_KEY`, `OPENAI_BASE_URL` and `OPENAI_MODEL` are read (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
}

/** The LLM proxy of the local stack: one OpenAI-compatible provider, on when `OPENAI_API_KEY` is set. */
export interface LlmDemoSettings {
  baseUrl: string;
  model: string;
}

/**
 * The LLM proxy settings of `env`: undefined without `OPENAI_API_KEY`, else `OPENAI_BASE_URL` (default OpenAI's) and
 * `OPENAI_MODEL` (default gpt-4o-mini). The key itself stays in the environment.
 */
export function llmDemoSettings(env: Readonly<Record<string, string | undefined>>): LlmDemoSettings | undefined {
  if (!env["OPENAI_API_KEY"]) return undefined;
  return {
    baseUrl: env["OPENAI_BASE_URL"] || "https://api.openai.com/v1",
    model: env["OPENAI_MODEL"] || "gpt-4o-mini",
  };
}

/**
 * Starts the example servers (weather and notes of the 2025 generation, calendar of 2026-07-28), server-everything
 * and the standalone gateway with the config of `options.configPath`.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const configPath = options.configPath ?? resolve(REPO_ROOT, "examples/gateway.yaml");
  const wanted: StackPorts = { ...STACK_PORTS, ...options.ports };
  const env = options.env ?? process.env;
  const llm = llmDemoSettings(env);
  const processes: RunningProcess[] = [];
  let tempDir: string | undefined;
  const stop = async (): Promise<void> => {
    await Promise.all(
      processes
        .splice(0)
        .reverse()
        .map((p) => p.stop()),
    );
    if (tempDir !== undefined) await rm(tempDir, { recursive: true, force: true });
  };
  try {
    const weather = await startExampleServer("weather", wanted.weather);
    processes.push(weather);
    const notes = await startExampleServer("notes", wanted.notes);
    processes.push(notes);
    // server-everything prints the port it was given, not the one it bound: choose a free one here.
    const everythingPort = wanted.everything || (await freePort());
    processes.push(await startServerEverything(everythingPort));
    const calendar = await startExampleServer("calendar", wanted.calendar);
    processes.push(calendar);
    const ports = {
      ...wanted,
      weather: weather.port,
      notes: notes.port,
      everything: everythingPort,
      calendar: calendar.port,
    };
    let config = configPath;
    if (options.ports !== undefined || llm !== undefined) {
      tempDir = await mkdtemp(join(tmpdir(), "mcp-local-stack-"));
      config = join(tempDir, "gateway.yaml");
      let yaml = await readFile(configPath, "utf8");
      if (options.ports !== undefined) yaml = secondStackConfig(yaml, ports, tempDir);
      if (llm !== undefined) yaml = llmDemoConfig(yaml, llm);
      await writeFile(config, yaml);
    }
    // The gateway reads the provider key from its environment (`${env:OPENAI_API_KEY}`): it never lands in a file.
    const keyEnv: Record<string, string> = llm ? { OPENAI_API_KEY: env["OPENAI_API_KEY"] ?? "" } : {};
    const gateway = startNode("cli/dist/main.js", ["serve", "--config", config], keyEnv);
    processes.push(gateway);
    const ready = await gateway.waitFor(/gateway listening on (http:\/\/127\.0\.0\.1:(\d+)\S*)/);
    const gatewayPort = Number(ready[2]);
    return {
      gatewayUrl: ready[1] ?? "",
      ...(llm && { llm: { url: `http://127.0.0.1:${gatewayPort}/v1`, model: llm.model } }),
      ports: { ...ports, gateway: gatewayPort },
      processes,
      stop,
    };
  } catch (error: unknown) {
    await stop();
    throw error;
  }
}

/**
 * `configYaml` for a second stack: the four servers' URLs and `standalone.listen` on 127.0.0.1 at `ports`, and the
 * audit file (if any) in `dir` rather than beside the first stack's (comments kept).
 */
export function secondStackConfig(configYaml: string, ports: StackPorts, dir: string): string {
  const doc = parseDocument(configYaml);
  const servers = doc.toJS() as { servers?: { name?: unknown }[] };
  (servers.servers ?? []).forEach((server, index) => {
    const name = server.name;
    if (name === "weather" || name === "notes" || name === "everything" || name === "calendar") {
      doc.setIn(["servers", index, "url"], `http://127.0.0.1:${ports[name]}/mcp`);
    }
  });
  doc.setIn(["standalone", "listen"], `127.0.0.1:${ports.gateway}`);
  if (doc.hasIn(["audit", "file", "path"])) doc.setIn(["audit", "file", "path"], join(dir, "audit.log"));
  return doc.toString();
}

/**
 * `configYaml` with the LLM proxy on: an `llm` section with one provider `openai` (its key `${env:OPENAI_API_KEY}`)
 * and every policy allowed to use it; each consumer's model still gets only the tools of that consumer's policy.
 */
export function llmDemoConfig(configYaml: string, settings: LlmDemoSettings): string {
  const doc = parseDocument(configYaml);
  const provider = { name: "openai", baseUrl: settings.baseUrl, apiKey: "${env:OPENAI_API_KEY}" };
  doc.set("llm", doc.createNode({ providers: [{ ...provider, defaultModel: settings.model }] }));
  const policies = (doc.toJS() as { policies?: Record<string, unknown> }).policies ?? {};
  for (const name of Object.keys(policies)) doc.setIn(["policies", name, "llm"], { providers: ["openai"] });
  return doc.toString();
}

/** A port that was free on 127.0.0.1 a moment ago (the OS picks it). */
function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolvePort(typeof address === "object" && address ? address.port : 0));
    });
  });
}
