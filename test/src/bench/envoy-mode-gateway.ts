import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "@mcp-gateway/core";
import { startNode, type RunningProcess } from "@mcp-gateway/example-kit";
import { BROKER_CLUSTER, DEFAULT_RENDER_OPTIONS, renderEnvoyConfig } from "@mcp-gateway/router";
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

/** A real Envoy on the config rendered from `yaml`, its ext_proc cluster at `routerPort`, its broker at `brokerPort`. */
function renderFor(yaml: string, routerPort: number, brokerPort: number): Bootstrap {
  return renderEnvoyConfig(parseConfig(yaml, {}), {
    ...DEFAULT_RENDER_OPTIONS,
    listener: { address: "127.0.0.1", port: 0 },
    admin: { address: "127.0.0.1", port: 0 },
    router: { address: "127.0.0.1", port: routerPort },
    broker: { address: "127.0.0.1", port: brokerPort },
  }) as Bootstrap;
}

interface Bootstrap {
  static_resources: { clusters: { name: string; health_checks?: unknown }[] };
}

/** `bootstrap` without the active health check of `cluster` (whose target serves no `/healthz`). */
function withoutHealthCheck(bootstrap: Bootstrap, cluster: string): Bootstrap {
  for (const c of bootstrap.static_resources.clusters) if (c.name === cluster) delete c.health_checks;
  return bootstrap;
}

/** Envoy on the gateway's rendered config with a no-op ext_proc (its own process) in the router's place. */
export interface NoopExtProcEnvoy {
  url: string;
  envoy: EnvoyProcess;
  extProc: RunningProcess;
}

/**
 * The ext_proc baseline of Envoy mode: Envoy on exactly the config rendered for `servers` (same filter, processing
 * mode, timeouts and clusters), but its ext_proc cluster is a server answering "continue" to every message and its
 * broker cluster is the upstream at `upstreamPort` itself. No routing header is ever set, so every request takes the
 * default route, straight to the upstream: what is left is what the ext_proc round trips cost. The router cluster's
 * gRPC health check stays (the no-op answers SERVING); the broker cluster's is dropped.
 */
export async function startNoopExtProcEnvoy(
  servers: readonly UpstreamEntry[],
  upstreamPort: number,
  cleanup: Cleanup,
): Promise<NoopExtProcEnvoy> {
  const extProc = startNode("test/dist/bench/noop-hop-main.js", ["ext-proc"]);
  cleanup.add(() => extProc.stop());
  const match = await extProc.waitFor(/no-op hop listening on 127\.0\.0\.1:(\d+)/, 30_000);
  const yaml = await gatewayYaml(servers, await freePort());
  // The broker cluster is the upstream itself here, which has no /healthz to check.
  const envoy = await startEnvoy(withoutHealthCheck(renderFor(yaml, Number(match[1]), upstreamPort), BROKER_CLUSTER));
  cleanup.add(() => envoy.stop());
  return { url: `${envoy.url}/mcp`, envoy, extProc };
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
  const envoy = await startEnvoy(renderFor(yaml, router, broker));
  cleanup.add(() => envoy.stop());
  await waitForUpstreams(`http://127.0.0.1:${broker}`);
  return { url: `${envoy.url}/mcp`, envoy, gateway };
}
