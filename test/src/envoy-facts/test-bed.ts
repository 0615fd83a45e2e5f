import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { parse } from "yaml";
import { startEnvoy, type EnvoyProcess, type EnvoyRoute } from "../support/envoy-process";
import { startFakeProcessor, type FakeProcessor, type ProcessorHandler } from "./fake-processor";

/** A request an upstream test server received. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Handles a request on a test upstream after its body was read. */
export type UpstreamHandler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

/** A small real HTTP server on 127.0.0.1 that records what reached it. */
export interface Upstream {
  port: number;
  requests: ReceivedRequest[];
  close(): Promise<void>;
}

/** Default upstream behaviour: a JSON answer naming the server and echoing the path. */
export function jsonUpstream(name: string): UpstreamHandler {
  return (req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ server: name, path: req.url }));
  };
}

/** Starts a recording upstream. */
export async function startUpstream(handler: UpstreamHandler): Promise<Upstream> {
  const requests: ReceivedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      requests.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, body });
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** One route of the test config: a prefix, optional exact header matches, the cluster. */
export interface RouteSpec {
  prefix: string;
  headers?: Record<string, string>;
  cluster: string;
  timeout?: string;
}

/** What the test Envoy config contains. */
export interface EnvoyYamlOptions {
  processorPort: number;
  /** Cluster name → port on 127.0.0.1. */
  clusters: Record<string, number>;
  routes: RouteSpec[];
  messageTimeout?: string;
  maxMessageTimeout?: string;
  validateClusters?: boolean;
  allowModeOverride?: boolean;
  bufferLimitBytes?: number;
}

function routeYaml(route: RouteSpec): string {
  const headers = Object.entries(route.headers ?? {})
    .map(([name, exact]) => `{ name: ${name}, string_match: { exact: ${exact} } }`)
    .join(", ");
  const match = headers ? `{ prefix: ${route.prefix}, headers: [${headers}] }` : `{ prefix: ${route.prefix} }`;
  return `                        - match: ${match}\n                          route: { cluster: ${route.cluster}, timeout: ${route.timeout ?? "0s"} }`;
}

function clusterYaml(name: string, port: number): string {
  // gRPC (the processor's cluster) needs HTTP/2 to the upstream.
  const http2 =
    name === "mcp_router"
      ? `
      typed_extension_protocol_options:
        envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
          "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
          explicit_http_config: { http2_protocol_options: {} }`
      : "";
  return `    - name: ${name}
      type: STATIC
      load_assignment: { cluster_name: ${name}, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${port} } } } }] }] }${http2}`;
}

/** Renders an Envoy bootstrap shaped like the gateway's (ext_proc then router, routes on x-destination-mcp). */
export function envoyYaml(options: EnvoyYamlOptions): string {
  const clusters = { mcp_router: options.processorPort, ...options.clusters };
  const bufferLimit = options.bufferLimitBytes
    ? `\n      per_connection_buffer_limit_bytes: ${options.bufferLimitBytes}`
    : "";
  const maxTimeout = options.maxMessageTimeout
    ? `\n                      max_message_timeout: ${options.maxMessageTimeout}`
    : "";
  return `admin: { address: { socket_address: { address: 127.0.0.1, port_value: 0 } } }
static_resources:
  listeners:
    - name: mcp
      address: { socket_address: { address: 127.0.0.1, port_value: 0 } }${bufferLimit}
      filter_chains:
        - filters:
            - name: envoy.filters.network.http_connection_manager
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                stat_prefix: mcp
                route_config:
                  name: mcp
                  validate_clusters: ${options.validateClusters ?? true}
                  virtual_hosts:
                    - name: mcp
                      domains: ["*"]
                      routes:
${options.routes.map(routeYaml).join("\n")}
                http_filters:
                  - name: envoy.filters.http.ext_proc
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor
                      grpc_service: { envoy_grpc: { cluster_name: mcp_router }, timeout: 5s }
                      failure_mode_allow: false
                      allow_mode_override: ${options.allowModeOverride ?? true}
                      message_timeout: ${options.messageTimeout ?? "2s"}${maxTimeout}
                      mutation_rules: { allow_all_routing: true }
                      processing_mode: { request_header_mode: SEND, request_body_mode: BUFFERED, response_header_mode: SEND, response_body_mode: NONE, request_trailer_mode: SKIP, response_trailer_mode: SKIP }
                  - name: envoy.filters.http.router
                    typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
  clusters:
${Object.entries(clusters)
  .map(([name, port]) => clusterYaml(name, port))
  .join("\n")}
`;
}

/** A response as the test client saw it. */
export interface ClientResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Sends one HTTP/1.1 request and reads the whole response. */
export function request(
  url: string,
  options: { method?: string; path?: string; headers?: http.OutgoingHttpHeaders; body?: string } = {},
): Promise<ClientResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${url}${options.path ?? "/mcp"}`,
      { method: options.method ?? "POST", headers: options.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/** Processor, upstreams and a real Envoy wired together from one config, closed together. */
export interface TestBed {
  processor: FakeProcessor;
  upstreams: Record<string, Upstream>;
  envoy: EnvoyProcess;
  /** POST (by default) to Envoy; a JSON-RPC body unless `body` is given. */
  send(options?: Parameters<typeof request>[1]): Promise<ClientResponse>;
  /** Envoy's access-log records of every request sent so far, once all are logged (cluster, path, details). */
  routes(): Promise<EnvoyRoute[]>;
  close(): Promise<void>;
}

/** Options of `startTestBed`: upstream handlers by cluster name, and config knobs. */
export interface TestBedOptions extends Omit<EnvoyYamlOptions, "processorPort" | "clusters"> {
  upstreams: Record<string, UpstreamHandler>;
  handler?: ProcessorHandler;
  /** Extra clusters pointing at a port nothing listens on. */
  deadClusters?: Record<string, number>;
}

/** Starts a fake processor and the upstreams, then the real Envoy on the YAML `envoyYaml` renders for them. */
export async function startTestBed(options: TestBedOptions): Promise<TestBed> {
  const processor = await startFakeProcessor(options.handler);
  const upstreams: Record<string, Upstream> = {};
  for (const [name, handler] of Object.entries(options.upstreams)) upstreams[name] = await startUpstream(handler);
  const clusters = Object.fromEntries(Object.entries(upstreams).map(([name, u]) => [name, u.port]));
  const yaml = envoyYaml({
    ...options,
    processorPort: processor.port,
    clusters: { ...clusters, ...options.deadClusters },
  });
  const envoy = await startEnvoy(parse(yaml) as object);
  const jsonRpc = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" });
  let sent = 0;
  return {
    processor,
    upstreams,
    envoy,
    send: (req = {}) => {
      sent += 1;
      return request(envoy.url, {
        ...req,
        body: req.body ?? (req.method && req.method !== "POST" ? undefined : jsonRpc),
      });
    },
    routes: async () => {
      await eventually(() => envoy.routes.length >= sent, 5_000);
      return envoy.routes;
    },
    close: async () => {
      await envoy.stop();
      await Promise.all(Object.values(upstreams).map((u) => u.close()));
      await processor.close();
    },
  };
}

/** Polls `condition` every 10 ms until it holds or `timeoutMs` passes (for effects that trail a response). */
export async function eventually(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A 127.0.0.1 port nothing listens on (bound once, then released). */
export async function unusedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Cluster and forwarded path of each logged request. */
export function clusterAndPath(routes: EnvoyRoute[]): { cluster: string; path: string }[] {
  return routes.map(({ cluster, path }) => ({ cluster, path }));
}

/** Status and Envoy's response details of each logged request. */
export function statusAndDetails(routes: EnvoyRoute[]): { status: number; details: string }[] {
  return routes.map(({ status, details }) => ({ status, details }));
}
