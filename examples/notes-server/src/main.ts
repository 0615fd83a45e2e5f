import { parseCliArgs } from "./cli-args";
import { DEFAULT_NOTES_PORT, startServer, NOTES_SERVER_NAME, type RunningServer } from "./index";

/** Runs the notes server from the command line: parses argv, listens, prints one ready line, closes on SIGINT/SIGTERM. */
export async function main(argv: readonly string[], _env: NodeJS.ProcessEnv): Promise<RunningServer> {
  const options = parseCliArgs(argv, DEFAULT_NOTES_PORT);
  const running = await startServer(options);
  // Tests and scripts wait for exactly this line and read the port from it.
  process.stdout.write(`${NOTES_SERVER_NAME} listening on ${running.url}\n`);
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

if (require.main === module) {
  main(process.argv.slice(2), process.env).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
