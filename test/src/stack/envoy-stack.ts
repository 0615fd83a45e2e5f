import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parse } from "yaml";
import { REPO_ROOT, startExampleServer, startNode, type RunningProcess } from "@mcp-gateway/example-kit";
import { startServerEverything } from "@mcp-gateway/local-stack";
import { startEnvoy, type EnvoyProcess } from "../support/envoy-process";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** envoy/envoy.yaml with its listener on 127.0.0.1 (a local stack is not for the network). */
function loopbackEnvoyConfig(): object {
  const config = parse(readFileSync(resolve(REPO_ROOT, "envoy/envoy.yaml"), "utf8")) as Json;
  config.static_resources.listeners[0].address.socket_address.address = "127.0.0.1";
  return config;
}

/**
 * `npm run start:envoy`: Envoy mode on this machine with the real Envoy (`npm run envoy:install`). Starts the example
 * servers on :9101/:9102/:9103/:9104, the gateway (router :9000 + broker :8081) from examples/gateway.yaml, and Envoy on
 * 127.0.0.1:8080 with the committed envoy/envoy.yaml (admin on 127.0.0.1:9901). Ctrl-C stops everything it started.
 */
export async function main(): Promise<void> {
  const started: RunningProcess[] = [];
  let envoy: EnvoyProcess | undefined;
  const stopAll = async (): Promise<void> => {
    await envoy?.stop();
    await Promise.all(started.map((p) => p.stop()));
  };
  try {
    started.push(await startExampleServer("weather", 9101));
    started.push(await startExampleServer("notes", 9102));
    started.push(await startServerEverything(9103));
    started.push(await startExampleServer("calendar", 9104));
    const gateway = startNode("cli/dist/main.js", ["envoy", "--config", "examples/gateway.yaml"]);
    started.push(gateway);
    await gateway.waitFor(/broker listening/);
    gateway.child.stdout?.pipe(process.stdout);
    gateway.child.stderr?.pipe(process.stderr);
    envoy = await startEnvoy(loopbackEnvoyConfig(), { logLevel: "info" });
    console.log(
      `Envoy ${envoy.binary.version} listening on ${envoy.url}/mcp (envoy/envoy.yaml, admin ${envoy.adminUrl})`,
    );
    const stop = (): void => void stopAll().then(() => process.exit(0));
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
