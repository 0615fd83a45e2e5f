import { lookupTable } from "@mcp-gateway/core";
import type { CommandArgs } from "./args";
import { CONTROLLER_OPTIONS } from "./controller-command";

/** One `mcp-gateway` command: its one-line summary, full help text and the arguments it accepts. */
export interface CommandHelp {
  summary: string;
  usage: string;
  args: CommandArgs;
}

const HELP_VERSION = `  --help              show this help
  --version           print the version of mcp-gateway`;

const COMMON = `  --config PATH       gateway config file (env MCP_GATEWAY_CONFIG)
  --log-level LEVEL   debug | info | warn | error (env MCP_GATEWAY_LOG_LEVEL, default info)
${HELP_VERSION}`;

/** The long-running commands take only `--config` and `--log-level`: the config is never a positional argument. */
const SERVER_ARGS: CommandArgs = {
  options: { config: { type: "string" }, "log-level": { type: "string" } },
  positionals: { min: 0, max: 0 },
};

/** Help of every command, in the order `mcp-gateway --help` lists them. */
export const COMMANDS: Readonly<Record<string, CommandHelp>> = lookupTable<CommandHelp>({
  serve: {
    summary: "standalone gateway: /mcp served completely by one process (no Envoy)",
    usage: `Usage: mcp-gateway serve --config PATH

Serves /mcp on standalone.listen (default 127.0.0.1:8080): initialize, aggregated lists and notification streams,
and routed calls (tools/call, prompts/get, resources/read) forwarded to their upstream with the same routing core
as the Envoy router. Also /healthz, /readyz, /status, /metrics.

${COMMON}`,
    args: SERVER_ARGS,
  },
  envoy: {
    summary: "Envoy mode, one replica: the ext_proc router and the broker in one process",
    usage: `Usage: mcp-gateway envoy --config PATH

Runs the ext_proc router (gRPC, router.listen) and the broker (HTTP, broker.listen) side by side, sharing one
in-memory backend-session store. Point Envoy at them with the config from \`mcp-gateway render-envoy\`.

${COMMON}`,
    args: SERVER_ARGS,
  },
  router: {
    summary: "Envoy mode, scaled out: the ext_proc router alone",
    usage: `Usage: mcp-gateway router --config PATH

Runs only the ext_proc router on router.listen, with /metrics and /healthz on router.metricsListen. Needs
sessions.store: redis://… and sessions.secret shared with the broker replicas.

${COMMON}`,
    args: SERVER_ARGS,
  },
  broker: {
    summary: "Envoy mode, scaled out: the broker alone",
    usage: `Usage: mcp-gateway broker --config PATH

Runs only the broker on broker.listen. Needs sessions.store: redis://… and sessions.secret shared with the routers.

${COMMON}`,
    args: SERVER_ARGS,
  },
  controller: {
    summary: "Kubernetes: the discovery controller (MCPServer resources to the gateway config, routes and status)",
    usage: `Usage: mcp-gateway controller --namespace NS --base-config PATH [options]

Watches MCPServer resources (mcp.gateway.example/v1alpha1) and the Services, Secrets and HTTPRoutes they name in one
namespace, writes the gateway config (the base config plus one server per accepted MCPServer) into a Secret the
gateway mounts and hot-reloads, optionally an HTTPRoute routing on x-destination-mcp and the ext_proc attachment, and
each MCPServer's status (from the gateway's /status). Two replicas elect a leader on a Lease. See docs/kubernetes.md.

  --namespace NS          the namespace to watch (env POD_NAMESPACE)
  --base-config PATH      the gateway config without MCPServer servers (consumers, policies, sessions, …)
  --config-secret NAME    the Secret the config is written to, key config.yaml (default mcp-gateway-config)
  --kubeconfig PATH       a kubeconfig (env KUBECONFIG; default: the in-cluster service account)
  --status-url URL        the gateway's /status (for Ready and the counts)
  --gateway [NS/]NAME     the Gateway the HTTPRoute attaches to (no HTTPRoute without it)
  --route-name NAME       the first HTTPRoute's and the ext_proc attachment's name; more servers than one
                          route holds go to NAME-2, NAME-3, … (default mcp-gateway)
  --broker-service S:P    the broker Service port (default mcp-gateway-broker:8081)
  --router-service S:P    the router Service port, gRPC (default mcp-gateway-router:9000)
  --ext-proc MODE         envoy-gateway (EnvoyExtensionPolicy) | istio (EnvoyFilter) | none (default)
  --lease-name NAME       the Lease of leader election (default mcp-gateway-controller)
  --lease-duration D      how long a silent leader keeps the Lease (default 15s)
  --identity ID           this replica's name in the Lease (env POD_NAME, default the host name)
  --cluster-domain D      the cluster's DNS domain (default cluster.local)
  --resync D              a full pass this often without changes (default 10s)
  --log-level LEVEL       debug | info | warn | error (env MCP_GATEWAY_LOG_LEVEL, default info)
  --health-listen H:P     GET /healthz (live) and /readyz (leader: watches synced; standby: Lease reachable)
                          (default 127.0.0.1:8090; the chart binds 0.0.0.0 for the kubelet's probes)
${HELP_VERSION}`,
    args: { options: CONTROLLER_OPTIONS, positionals: { min: 0, max: 0 } },
  },
  validate: {
    summary:
      "check config files (syntax, then fields, then cross-field rules); exit 0 when all are valid, 1 naming each problem found by its YAML path",
    usage: `Usage: mcp-gateway validate <config>...

Parses and validates each config (including \${env:NAME} references against the current environment) and prints
"valid: N servers" or one line per problem, e.g. "servers[1].url: expected an http(s) URL", for every file given.
Exit code 0 when all are valid, 1 when any is not.

${HELP_VERSION}`,
    args: { options: {}, positionals: { min: 1, max: Infinity, name: "<config>" } },
  },
  "hash-key": {
    summary: "print the keyHash of an API key for a consumer entry (or --generate a new key)",
    usage: `Usage: mcp-gateway hash-key < KEYFILE     (or: echo -n KEY | mcp-gateway hash-key)
       mcp-gateway hash-key --generate

Prints "sha256:<hex>", the form consumers[].keyHash takes; the key itself is never stored. The key is read from
stdin so it stays out of shell history and process lists. --generate makes a new random key (mcpgw_ + 256 bits)
and prints it once, with its hash.

  --generate          make a new random key
${HELP_VERSION}`,
    args: { options: { generate: { type: "boolean" } }, positionals: { min: 0, max: 1 } },
  },
  schema: {
    summary: "print the config's JSON Schema (for editors: autocomplete and checks while you type)",
    usage: `Usage: mcp-gateway schema > gateway.schema.json

Prints the JSON Schema (draft-07) of the gateway config, generated from the same schema \`validate\` and \`serve\`
use. Point your editor at it, e.g. with a first line in the config:
  # yaml-language-server: $schema=./gateway.schema.json
The repository commits it as schema/gateway.schema.json. Rules a JSON Schema cannot express (duration syntax, ports,
cross-field checks) are left to \`mcp-gateway validate\`.

${HELP_VERSION}`,
    args: { options: {}, positionals: { min: 0, max: 0 } },
  },
  "render-envoy": {
    summary: "write the Envoy config (v3 bootstrap YAML) for a gateway config",
    usage: `Usage: mcp-gateway render-envoy <config> [--out FILE] [--listen H:P] [--router H:P] [--broker H:P] [--admin H:P]

Renders the listener, HTTP connection manager with the ext_proc filter, a route per upstream on x-destination-mcp,
the broker as default route, and clusters. Writes to FILE, or stdout.

  --listen H:P        where Envoy listens (default 0.0.0.0:8080)
  --router H:P        where Envoy reaches the router's gRPC port (default 127.0.0.1:9000)
  --broker H:P        where Envoy reaches the broker (default 127.0.0.1:8081)
  --admin H:P         Envoy's admin listener (default 127.0.0.1:9901)
  --out FILE          write to FILE instead of stdout
${HELP_VERSION}`,
    args: {
      options: Object.fromEntries(
        ["out", "listen", "router", "broker", "admin"].map((name) => [name, { type: "string" as const }]),
      ),
      positionals: { min: 1, max: 1, name: "<config>" },
    },
  },
});

/** The top-level help listing every command. */
export function overview(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, help]) => `  ${name.padEnd(width)}  ${help.summary}`);
  return `Usage: mcp-gateway <command> [options]

Commands:
${lines.join("\n")}

Run \`mcp-gateway <command> --help\` for a command's options, \`mcp-gateway --version\` for the version.
`;
}
