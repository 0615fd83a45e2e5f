import { resolve } from "node:path";
import { startEnvoyHarness } from "../harness";
import { REPO_ROOT, startExampleServer, startNode, type RunningProcess } from "@mcp-gateway/example-kit";
import { startServerEverything } from "@mcp-gateway/local-stack";

/**
 * `npm run start:harness`: Envoy mode on a machine without Envoy. Starts the example servers on :9101/:9102/:9103, the
 * gateway (router + broker) from examples/gateway.yaml, and the Envoy-faithful harness on 127.0.0.1:8080 reading the
 * committed envoy/envoy.yaml. Ctrl-C stops everything it started.
 */
export async function main(): Promise<void> {
  const started: RunningProcess[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(started.map((p) => p.stop()));
  };
  try {
    started.push(await startExampleServer("weather", 9101));
    started.push(await startExampleServer("notes", 9102));
    started.push(await startServerEverything(9103));
    const gateway = startNode("cli/dist/main.js", ["envoy", "--config", "examples/gateway.yaml"]);
    started.push(gateway);
    await gateway.waitFor(/broker listening/);
    gateway.child.stdout?.pipe(process.stdout);
    gateway.child.stderr?.pipe(process.stderr);
    const harness = await startEnvoyHarness({
      envoyConfigPath: resolve(REPO_ROOT, "envoy/envoy.yaml"),
      listenPort: 8080,
    });
    console.log(
      `Envoy harness listening on ${harness.url}/mcp (routes by envoy/envoy.yaml, ext_proc to the router on :9000)`,
    );
    const stop = (): void => {
      void harness
        .close()
        .then(stopAll)
        .then(() => process.exit(0));
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  } catch (error: unknown) {
    await stopAll();
    throw error;
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
