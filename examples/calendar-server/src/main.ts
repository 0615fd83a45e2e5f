import { runExampleMain, type RunningServer } from "@mcp-gateway/example-kit";
import { CALENDAR_SERVER_NAME, DEFAULT_CALENDAR_PORT, startServer } from "./index";

/** Runs the calendar server from the command line (see runExampleMain: --port, --host, --allowed-host). */
export function main(argv: readonly string[], _env: NodeJS.ProcessEnv): Promise<RunningServer> {
  return runExampleMain({ name: CALENDAR_SERVER_NAME, defaultPort: DEFAULT_CALENDAR_PORT, start: startServer }, argv);
}

if (require.main === module) {
  main(process.argv.slice(2), process.env).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
