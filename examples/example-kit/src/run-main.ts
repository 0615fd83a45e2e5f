import { parseCliArgs } from "./cli-args";
import type { RunningServer, StartOptions } from "./mcp-http-app";

/** What an example server's command line needs: its name (for the ready line), default port and start function. */
export interface ExampleServerEntry {
  name: string;
  defaultPort: number;
  start(options: StartOptions): Promise<RunningServer>;
}

/** Runs an example server from the command line: parses argv, listens, prints one ready line, closes on SIGINT/SIGTERM. */
export async function runExampleMain(entry: ExampleServerEntry, argv: readonly string[]): Promise<RunningServer> {
  const options = parseCliArgs(argv, entry.defaultPort);
  const running = await entry.start(options);
  // Tests and scripts wait for exactly this line and read the port from it.
  process.stdout.write(`${entry.name} listening on ${running.url}\n`);
  return closeOnSignals(running);
}

// The returned close() also removes the signal handlers, so an in-process caller leaves nothing behind.
function closeOnSignals(running: RunningServer): RunningServer {
  const onSignal = (): void => {
    running.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  const detach = (): void => {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  return {
    ...running,
    close: () => {
      detach();
      return running.close();
    },
  };
}
