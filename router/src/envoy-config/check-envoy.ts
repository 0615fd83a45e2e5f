import { existsSync } from "node:fs";
import { join } from "node:path";
import * as protobuf from "protobufjs";
import { PROTO_ROOT } from "../ext-proc-proto";
import { ProtoJsonChecker } from "./proto-json-check";

/** The Envoy API files whose messages a rendered config may name in an `@type` (see scripts/assemble-protos.mjs). */
const ENVOY_PROTOS = [
  "envoy/config/bootstrap/v3/bootstrap.proto",
  "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto",
  "envoy/extensions/filters/http/ext_proc/v3/ext_proc.proto",
  "envoy/extensions/filters/http/router/v3/router.proto",
  "envoy/extensions/transport_sockets/tls/v3/tls.proto",
  "envoy/extensions/upstreams/http/v3/http_protocol_options.proto",
];

let checker: ProtoJsonChecker | undefined;

/** Loads the Envoy v3 API from protos/gen once (google/protobuf well-known types come with protobufjs). */
function envoyChecker(): ProtoJsonChecker {
  if (checker) return checker;
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    const local = join(PROTO_ROOT, target);
    return existsSync(local) ? local : target;
  };
  root.loadSync(ENVOY_PROTOS, { keepCase: true });
  root.resolveAll();
  checker = new ProtoJsonChecker(root);
  return checker;
}

type Json = Record<string, unknown>;
const asArray = (value: unknown): Json[] => (Array.isArray(value) ? (value as Json[]) : []);
const asObject = (value: unknown): Json => (value !== null && typeof value === "object" ? (value as Json) : {});

/** Cross-checks the schema cannot express: every route names a defined cluster; ext_proc runs before the router. */
export function crossCheckEnvoy(config: unknown): string[] {
  const issues: string[] = [];
  const resources = asObject(asObject(config)["static_resources"]);
  const clusters = new Set(asArray(resources["clusters"]).map((c) => c["name"]));
  asArray(resources["listeners"]).forEach((listener, l) => {
    asArray(listener["filter_chains"]).forEach((chain, c) => {
      asArray(chain["filters"]).forEach((filter, f) => {
        const hcm = asObject(filter["typed_config"]);
        const at = `static_resources.listeners[${l}].filter_chains[${c}].filters[${f}]`;
        const filters = asArray(hcm["http_filters"]).map((h) => h["name"]);
        const extProc = filters.indexOf("envoy.filters.http.ext_proc");
        const router = filters.indexOf("envoy.filters.http.router");
        if (extProc < 0 || router < 0 || extProc > router)
          issues.push(`${at}: http_filters must run envoy.filters.http.ext_proc before envoy.filters.http.router`);
        if (router >= 0 && router !== filters.length - 1)
          issues.push(`${at}: envoy.filters.http.router must be the last http filter`);
        const extProcConfig = asObject(asArray(hcm["http_filters"])[extProc]?.["typed_config"]);
        const grpcCluster = asObject(asObject(extProcConfig["grpc_service"])["envoy_grpc"])["cluster_name"];
        if (extProc >= 0 && !clusters.has(grpcCluster))
          issues.push(`${at}: ext_proc cluster ${JSON.stringify(grpcCluster)} is not defined`);
        for (const host of asArray(asObject(hcm["route_config"])["virtual_hosts"])) {
          for (const route of asArray(host["routes"])) {
            const cluster = asObject(route["route"])["cluster"];
            if (!clusters.has(cluster))
              issues.push(
                `${at}: route ${JSON.stringify(route["name"] ?? "")} names undefined cluster ${JSON.stringify(cluster)}`,
              );
          }
        }
      });
    });
  });
  return issues;
}

/** Checks a rendered Envoy config (as parsed YAML) against the Envoy v3 Bootstrap proto plus the cross-checks. */
export function checkEnvoyConfig(config: unknown): string[] {
  return [...envoyChecker().check("envoy.config.bootstrap.v3.Bootstrap", config), ...crossCheckEnvoy(config)];
}
