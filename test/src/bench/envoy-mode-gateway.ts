import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "@mcp-gateway/core";
import { startNode, type RunningProcess } from "@mcp-gateway/example-kit";
import { DEFAULT_RENDER_OPTIONS, renderEnvoyConfig } from "@mcp-gateway/router";
import { waitForUpstreams } from "../e2e/gateway-stack";
import { startEnvoy, type EnvoyProcess } from "../support/envoy-process";
import { freePort } from "../support/redis-server";
import type { Cleanup } from "./gateway-cleanup";
import { gatewayYaml, type UpstreamEntry } from "./gateway-standalone";

/** Envoy mode: a real Envoy on the rendered config, in front of one `mcp-gateway envoy` process (router + broker). */
export interface EnvoyModeGateway {
  /** The MCP endpoint on Envoy's listener. */
  url: string;
  envoy: EnvoyProcess;
  /** The gateway's own process (router and broker). */
  gateway: RunningProcess;
}

/** Starts Envoy mode (memory store) in front of `servers`; resolves once every upstream is ready. */
export async function startEnvoyModeGateway(
  servers: readonly UpstreamEntry[],
  cleanup: Cleanup,
): Promise<EnvoyModeGateway> {
  const dir = await mkdtemp(join(tmpdir(), "gateway-bench-envoy-"));
  cleanup.add(() => rm(dir, { recursive: true, force: true }));
  const [router, broker] = [await freePort(), await freePort()];
  const yaml = (await gatewayYaml(servers, await freePort())).replace(
    /^router: .*\nbroker: .*$/m,
    `router: { listen: "127.0.0.1:${router}", metricsListen: "127.0.0.1:${await freePort()}" }\nbroker: { listen: "127.0.0.1:${broker}" }`,
  );
  const configPath = join(dir, "gateway.yaml");
  await writeFile(configPath, yaml);
  const gateway = startNode("cli/dist/main.js", ["envoy", "--config", configPath, "--log-level", "warn"]);
  cleanup.add(() => gateway.stop());
  await gateway.waitFor(/listening on/, 30_000);
  const envoy = await startEnvoy(
    renderEnvoyConfig(parseConfig(yaml, {}), {
      ...DEFAULT_RENDER_OPTIONS,
      listener: { address: "127.0.0.1", port: 0 },
      admin: { address: "127.0.0.1", port: 0 },
      router: { address: "127.0.0.1", port: router },
      broker: { address: "127.0.0.1", port: broker },
    }),
  );
  cleanup.add(() => envoy.stop());
  await waitForUpstreams(`http://127.0.0.1:${broker}`);
  return { url: `${envoy.url}/mcp`, envoy, gateway };
}
