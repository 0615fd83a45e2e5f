import { runExampleMain, type RunningServer } from "@mcp-gateway/example-kit";
import { startConformanceFixture } from "./fixture-server";

/** The name in the ready line: `conformance fixture listening on http://127.0.0.1:<port>/mcp`. */
export const FIXTURE_READY_NAME = "conformance fixture";

/** Runs the conformance fixture from the command line: `--port N` (0 = a free port), loopback only. */
export function main(argv: readonly string[], _env: NodeJS.ProcessEnv): Promise<RunningServer> {
  return runExampleMain(
    {
      name: FIXTURE_READY_NAME,
      defaultPort: 0,
      start: ({ host, port, allowedHosts }) => {
        // Fixed on purpose: the dns-rebinding-protection scenario expects a loopback server that accepts only
        // loopback Host/Origin names.
        if (host !== "127.0.0.1" || allowedHosts !== undefined) {
          throw new Error("the conformance fixture binds 127.0.0.1 and accepts loopback Host names only");
        }
        return startConformanceFixture({ port });
      },
    },
    argv,
  );
}

if (require.main === module) {
  main(process.argv.slice(2), process.env).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
