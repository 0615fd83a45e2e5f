import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";

/** A helper process of the tests that announced itself ready, and how to stop it. */
export interface ReadyChild<T> {
  /** The JSON the process printed after its ready marker. */
  started: T;
  /** SIGTERM, then waits for the exit (at once if it already exited). */
  stop(): Promise<void>;
}

/**
 * Runs `script` with this Node and `env`, and resolves once it prints a line starting with `marker` followed by JSON
 * (other stdout lines are ignored); rejects with its stderr, naming `what`, if it exits first.
 */
export async function startReadyChild<T>(
  script: string,
  env: NodeJS.ProcessEnv,
  marker: string,
  what: string,
): Promise<ReadyChild<T>> {
  const child: ChildProcess = spawn(process.execPath, [script], { env, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const ready = new Promise<string>((resolve) =>
    lines.on("line", (line) => {
      if (line.startsWith(marker)) resolve(line.slice(marker.length));
    }),
  );
  const exited = once(child, "exit").then(() => {
    throw new Error(`${what} exited: ${stderr}`);
  });
  const started = JSON.parse(await Promise.race([ready, exited])) as T;
  return {
    started,
    stop: async () => {
      if (child.exitCode !== null) return;
      const gone = once(child, "exit");
      child.kill("SIGTERM");
      await gone;
    },
  };
}
