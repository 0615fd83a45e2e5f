// Envoy itself (`envoy --mode validate`, see test/src/deploy/envoy-validate.test.ts) checks a rendered config against
// its API: fields, types, enums, durations, ranges, `@type`s, route clusters, filter order, files. What remains here
// are the gateway's own invariants that are valid Envoy but a broken gateway, which Envoy's validation accepts.

type Json = Record<string, unknown>;
const asArray = (value: unknown): Json[] => (Array.isArray(value) ? (value as Json[]) : []);
const asObject = (value: unknown): Json => (value !== null && typeof value === "object" ? (value as Json) : {});

/**
 * The gateway's invariants over an Envoy config (as parsed YAML): every HTTP connection manager runs ext_proc before
 * the router (Envoy accepts a chain without it: requests would bypass the router), and the ext_proc gRPC cluster is
 * defined (Envoy resolves it per request: every request would fail with 500). Empty when they hold.
 */
export function checkEnvoyConfig(config: unknown): string[] {
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
        const extProcConfig = asObject(asArray(hcm["http_filters"])[extProc]?.["typed_config"]);
        const grpcCluster = asObject(asObject(extProcConfig["grpc_service"])["envoy_grpc"])["cluster_name"];
        if (extProc >= 0 && !clusters.has(grpcCluster))
          issues.push(`${at}: ext_proc cluster ${JSON.stringify(grpcCluster)} is not defined`);
      });
    });
  });
  return issues;
}
