import { runExampleMain, type RunningServer } from "@mcp-gateway/example-kit";
import { DEFAULT_WEATHER_PORT, WEATHER_SERVER_NAME, startServer } from "./index";

/** Runs the weather server from the command line (see runExampleMain). */
export function main(argv: readonly string[], _env: NodeJS.ProcessEnv): Promise<RunningServer> {
  return runExampleMain({ name: WEATHER_SERVER_NAME, defaultPort: DEFAULT_WEATHER_PORT, start: startServer }, argv);
}

if (require.main === module) {
  main(process.argv.slice(2), process.env).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
