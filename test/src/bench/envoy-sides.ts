import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { REPO_ROOT, startExampleServer } from "@mcp-gateway/example-kit";
import { DEMO_KEYS, startServerEverything } from "@mcp-gateway/local-stack";
import { parse, stringify } from "yaml";
import { startGatewayStack } from "../e2e/gateway-stack";
import { startEnvoy, type EnvoyProcess } from "../support/envoy-process";
import { freePort } from "../support/redis-server";
import type { Cleanup } from "./gateway-cleanup";

/** One way to reach server-everything's echo tool: an MCP endpoint, the tool's name there, headers to send. */
export interface EnvoySide {
  name: string;
  url: string;
  tool: string;
  headers: Record<string, string>;
  /** The Envoy in front, if any: its access log explains failed calls. */
  envoy?: EnvoyProcess;
}

type Json = Record<string, unknown>;
const HCM = "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";

function cluster(name: string, port: number): Json {
  const address = { socket_address: { address: "127.0.0.1", port_value: port } };
  return {
    name,
    type: "STATIC",
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address } }] }] },
  };
}

/** An Envoy bootstrap with one listener (port 0) whose HCM runs `filters`, routing everything to `upstreamPort`. */
function bootstrap(filters: Json[], upstreamPort: number): Json {
  const hcm = {
    "@type": HCM,
    stat_prefix: "bench",
    route_config: {
      virtual_hosts: [
        {
          name: "all",
          domains: ["*"],
          routes: [{ match: { prefix: "/" }, route: { cluster: "everything", timeout: "0s" } }],
        },
      ],
    },
    http_filters: filters,
  };
  const listener = {
    name: "bench",
    address: { socket_address: { address: "127.0.0.1", port_value: 0 } },
    filter_chains: [{ filters: [{ name: "envoy.filters.network.http_connection_manager", typed_config: hcm }] }],
  };
  return {
    admin: { address: { socket_address: { address: "127.0.0.1", port_value: 0 } } },
    static_resources: { listeners: [listener], clusters: [cluster("everything", upstreamPort)] },
  };
}

const ROUTER_FILTER = {
  name: "envoy.filters.http.router",
  typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router" },
};

/** A plain Envoy route (router filter only) to `upstreamPort`: the Envoy baseline of the Envoy-mode figures. */
export function startPlainEnvoy(upstreamPort: number): Promise<EnvoyProcess> {
  return startEnvoy(bootstrap([ROUTER_FILTER], upstreamPort));
}

/**
 * Envoy's own MCP filters (1.37+, work in progress upstream): parse, then aggregate. Two servers (server-everything
 * twice), because with a single one mcp_router passes tools through unprefixed instead of aggregating.
 */
const NATIVE_MCP_FILTERS = [
  {
    name: "envoy.filters.http.mcp",
    typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.mcp.v3.Mcp" },
  },
  {
    name: "envoy.filters.http.mcp_router",
    typed_config: {
      "@type": "type.googleapis.com/envoy.extensions.filters.http.mcp_router.v3.McpRouter",
      servers: [
        { name: "everything", mcp_cluster: { cluster: "everything", path: "/mcp" } },
        { name: "again", mcp_cluster: { cluster: "everything", path: "/mcp" } },
      ],
    },
  },
];

/** examples/gateway.yaml's auth, consumers, policies and sanitize, auditing to `auditPath`, rate limits out of reach. */
async function exampleSecurity(auditPath: string): Promise<string> {
  const example = parse(await readFile(resolve(REPO_ROOT, "examples/gateway.yaml"), "utf8")) as Json;
  const policies = structuredClone(example["policies"]) as Record<string, Json>;
  // The checks still run on every call; only the operator's bucket is made big enough for the benchmark's load.
  if (policies["operator"]) policies["operator"]["rateLimit"] = { rate: "100000/s", burst: 100000 };
  const { auth, consumers, sanitize } = example;
  return stringify({ auth, consumers, policies, sanitize, audit: { file: { path: auditPath } } });
}

/**
 * Starts server-everything and every way to reach it: (a) directly, (b) through a plain Envoy route, (c) through Envoy
 * and the gateway (router + broker) without and with the example security config, (d) through Envoy's native MCP
 * filters. Everything registers its stop with `cleanup`.
 */
export async function startEnvoySides(cleanup: Cleanup): Promise<EnvoySide[]> {
  const port = await freePort();
  const everything = await startServerEverything(port);
  cleanup.add(() => everything.stop());
  const direct = `http://127.0.0.1:${port}/mcp`;
  const plain = await startPlainEnvoy(port);
  cleanup.add(() => plain.stop());
  const native = await startEnvoy(bootstrap(NATIVE_MCP_FILTERS, port));
  cleanup.add(() => native.stop());
  const server = `name: everything, url: "${direct}"`;
  const open = await startGatewayStack({ kind: "envoy", store: "memory" }, { extraServers: [server] });
  cleanup.add(() => open.stop());
  const auditDir = await mkdtemp(join(tmpdir(), "bench-audit-"));
  cleanup.add(() => rm(auditDir, { recursive: true, force: true }));
  // The example policies name every server of examples/gateway.yaml, the calendar server included.
  const calendar = await startExampleServer("calendar");
  cleanup.add(() => calendar.stop());
  const secured = await startGatewayStack(
    { kind: "envoy", store: "memory" },
    {
      extraServers: [server, `name: calendar, url: "${calendar.url}"`],
      access: await exampleSecurity(join(auditDir, "audit.log")),
    },
  );
  cleanup.add(() => secured.stop());
  return [
    { name: "(a) direct to server-everything", url: direct, tool: "echo", headers: {} },
    { name: "(b) plain Envoy route", url: `${plain.url}/mcp`, tool: "echo", headers: {}, envoy: plain },
    { name: "(c) Envoy + router, no security", url: open.url, tool: "everything_echo", headers: {}, envoy: open.envoy },
    {
      name: "(c) Envoy + router, example security",
      url: secured.url,
      tool: "everything_echo",
      headers: { authorization: `Bearer ${DEMO_KEYS.ops}` },
      envoy: secured.envoy,
    },
    {
      name: "(d) Envoy native MCP filters",
      url: `${native.url}/mcp`,
      tool: "everything__echo",
      headers: {},
      envoy: native,
    },
  ];
}
