import { spawn, type ChildProcess } from "node:child_process";
import { resolve } from "node:path";

/** The repository root (examples/example-kit/{src,dist} → ../../..). */
export const REPO_ROOT = resolve(__dirname, "..", "..", "..");

/** A real Node process started by a test, with its output captured. */
export interface RunningProcess {
  child: ChildProcess;
  /** Everything printed so far on stdout and stderr. */
  output(): string;
  /** Resolves with the first match of `pattern` in the output (waiting for it), or rejects after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** SIGTERM, then SIGKILL after 5 s; resolves when the process has exited. */
  stop(): Promise<void>;
}

/** Starts `node [nodeArgs] <script> ...args` from the repository root (scripts are compiled `dist` files). */
export function startNode(
  script: string,
  args: readonly string[],
  env: Record<string, string> = {},
  nodeArgs: readonly string[] = [],
): RunningProcess {
  const child = spawn(process.execPath, [...nodeArgs, resolve(REPO_ROOT, script), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer): void => {
    output += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  return {
    child,
    output: () => output,
    waitFor(pattern, timeoutMs = 15_000) {
      return new Promise((resolvePromise, reject) => {
        const check = (): boolean => {
          const match = output.match(pattern);
          if (!match) return false;
          cleanup();
          resolvePromise(match);
          return true;
        };
        const onExit = (): void => {
          cleanup();
          reject(new Error(`${script} exited before printing ${String(pattern)}:\n${output}`));
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`${script} did not print ${String(pattern)} within ${timeoutMs} ms:\n${output}`));
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          listeners.delete(listener);
          child.off("exit", onExit);
        };
        const listener = (): void => void check();
        if (check()) return;
        listeners.add(listener);
        child.once("exit", onExit);
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const kill = setTimeout(() => child.kill("SIGKILL"), 5_000);
      child.kill("SIGTERM");
      await exited;
      clearTimeout(kill);
    },
  };
}

/** Starts an example MCP server (`weather`, `notes` or `calendar`) on `port` (0 = free) once it listens. */
export async function startExampleServer(
  name: "weather" | "notes" | "calendar",
  port = 0,
): Promise<RunningProcess & { url: string; port: number }> {
  const process = startNode(`examples/${name}-server/dist/main.js`, ["--port", String(port)]);
  const match = await process.waitFor(new RegExp(`${name} listening on (http://127\\.0\\.0\\.1:(\\d+)/mcp)`));
  return Object.assign(process, { url: match[1] ?? "", port: Number(match[2]) });
}
