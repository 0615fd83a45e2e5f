import { hostname } from "node:os";
import { createLogger, parseDurationMs, parseHostPort, type LogLevel } from "@mcp-gateway/core";
import {
  connectKube,
  Controller,
  loadBaseConfig,
  startHealthServer,
  type ControllerSettings,
  type ExtProcMode,
} from "@mcp-gateway/controller";
import type { ParsedArgs } from "./args";
import type { CommandOutput } from "./validate-command";

type Env = Readonly<Record<string, string | undefined>>;

/** The options of `mcp-gateway controller` (see its usage in commands.ts). */
export const CONTROLLER_OPTIONS = Object.fromEntries(
  [
    "namespace",
    "base-config",
    "config-secret",
    "kubeconfig",
    "status-url",
    "gateway",
    "route-name",
    "broker-service",
    "router-service",
    "ext-proc",
    "lease-name",
    "lease-duration",
    "identity",
    "cluster-domain",
    "resync",
    "log-level",
    "health-listen",
  ].map((name) => [name, { type: "string" as const }]),
);

/** A usage problem of `mcp-gateway controller`, reported with exit code 2. */
class ControllerUsage extends Error {}

const text = (args: ParsedArgs, name: string): string | undefined => {
  const value = args.flags[name];
  return typeof value === "string" ? value : undefined;
};

/** `name:port` of a Service. */
function servicePort(value: string, what: string): { service: string; port: number } {
  const match = /^([a-z0-9][a-z0-9-]{0,62}):(\d{1,5})$/.exec(value);
  const port = Number(match?.[2]);
  if (!match?.[1] || !(port >= 1 && port <= 65535)) {
    throw new ControllerUsage(`--${what}: expected service-name:port, got ${JSON.stringify(value)}`);
  }
  return { service: match[1], port };
}

function durationMs(value: string, what: string): number {
  const ms = parseDurationMs(value);
  if (ms === undefined || ms <= 0)
    throw new ControllerUsage(`--${what}: expected a duration like 10s, got ${JSON.stringify(value)}`);
  return ms;
}

/** The probe listener's address: loopback by default (the chart binds 0.0.0.0 for the kubelet); port 0 picks one. */
function healthListen(args: ParsedArgs): { host: string; port: number } {
  const value = text(args, "health-listen") ?? "127.0.0.1:8090";
  const parsed = parseHostPort(value);
  if (!parsed) throw new ControllerUsage(`--health-listen: expected host:port, got ${JSON.stringify(value)}`);
  return parsed;
}

/** The controller's settings from its flags and environment (POD_NAMESPACE, POD_NAME, KUBECONFIG). */
async function settingsFrom(args: ParsedArgs, env: Env): Promise<ControllerSettings & { kubeconfig?: string }> {
  const namespace = text(args, "namespace") ?? env["POD_NAMESPACE"];
  if (!namespace) throw new ControllerUsage("--namespace (or POD_NAMESPACE) is required");
  const basePath = text(args, "base-config");
  if (!basePath)
    throw new ControllerUsage("--base-config PATH is required (the gateway config without MCPServer servers)");
  const baseConfig = await loadBaseConfig(basePath);
  const extProc = (text(args, "ext-proc") ?? "none") as ExtProcMode;
  if (!["envoy-gateway", "istio", "none"].includes(extProc)) {
    throw new ControllerUsage(`--ext-proc: expected envoy-gateway, istio or none, got ${JSON.stringify(extProc)}`);
  }
  const gateway = text(args, "gateway");
  const [gatewayName, gatewayNamespace] = (gateway ?? "").split("/").reverse();
  const leaseSeconds = Math.ceil(durationMs(text(args, "lease-duration") ?? "15s", "lease-duration") / 1000);
  const kubeconfig = text(args, "kubeconfig") ?? env["KUBECONFIG"];
  return {
    namespace,
    clusterDomain: text(args, "cluster-domain") ?? "cluster.local",
    configSecret: text(args, "config-secret") ?? "mcp-gateway-config",
    baseConfig,
    statusUrl: text(args, "status-url"),
    routes: gatewayName
      ? {
          namespace,
          name: text(args, "route-name") ?? "mcp-gateway",
          gateway: { name: gatewayName, ...(gatewayNamespace ? { namespace: gatewayNamespace } : {}) },
          broker: servicePort(text(args, "broker-service") ?? "mcp-gateway-broker:8081", "broker-service"),
          router: servicePort(text(args, "router-service") ?? "mcp-gateway-router:9000", "router-service"),
          extProc,
        }
      : undefined,
    lease: {
      namespace,
      name: text(args, "lease-name") ?? "mcp-gateway-controller",
      identity: text(args, "identity") ?? env["POD_NAME"] ?? hostname(),
      durationSeconds: leaseSeconds,
      retryMs: Math.max(500, Math.floor((leaseSeconds * 1000) / 4)),
    },
    resyncMs: durationMs(text(args, "resync") ?? "10s", "resync"),
    backoff: { minMs: 500, maxMs: 30_000 },
    ...(kubeconfig ? { kubeconfig } : {}),
  };
}

/** `mcp-gateway controller`: runs the discovery controller until a signal; the result closes it. */
export async function controllerCommand(
  args: ParsedArgs,
  env: Env,
  output: CommandOutput,
): Promise<{ code: number; service?: { close(): Promise<void> } }> {
  try {
    const settings = await settingsFrom(args, env);
    const logger = createLogger({
      level: (text(args, "log-level") ?? env["MCP_GATEWAY_LOG_LEVEL"] ?? "info") as LogLevel,
    });
    const listen = healthListen(args);
    const kube = await connectKube(settings.kubeconfig);
    const controller = new Controller(kube, settings, logger);
    const health = await startHealthServer(listen.host, listen.port, () => controller.readiness());
    controller.start();
    const probes = `http://${listen.host.includes(":") ? `[${listen.host}]` : listen.host}:${health.address.port}`;
    const { namespace, lease } = settings;
    output.out(`mcp-gateway controller: namespace ${namespace}, identity ${lease.identity}, probes on ${probes}\n`);
    const close = async (): Promise<void> => {
      await controller.stop();
      await health.close();
    };
    return { code: 0, service: { close } };
  } catch (error: unknown) {
    output.err(`mcp-gateway controller: ${error instanceof Error ? error.message : String(error)}\n`);
    return { code: error instanceof ControllerUsage ? 2 : 1 };
  }
}
