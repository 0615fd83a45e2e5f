import { readFileSync } from "node:fs";
import { createGatewayContext, parseConfig, silentLogger } from "@mcp-gateway/core";
import { createRouter, RouterMetrics } from "@mcp-gateway/router";

// A router alone in its own process, for the tracing comparison of the router benchmark: tracing on registers a
// process-wide async context, so the tracing-off side must not share a process with it. Usage: router-process.js
// <config.yaml>; prints `router listening on <host:port>`, stops on SIGTERM.
async function main(configPath: string): Promise<void> {
  const context = await createGatewayContext(parseConfig(readFileSync(configPath, "utf8"), {}), {
    logger: silentLogger,
  });
  await context.upstreams.settled();
  const router = createRouter({ context, logger: silentLogger, metrics: new RouterMetrics({ defaultMetrics: false }) });
  const port = await router.listen("127.0.0.1:0");
  console.log(`router listening on 127.0.0.1:${port}`);
  process.once("SIGTERM", () => {
    void router
      .shutdown(1000)
      .then(() => context.close())
      .then(() => process.exit(0));
  });
}

void main(process.argv[2] ?? "");
