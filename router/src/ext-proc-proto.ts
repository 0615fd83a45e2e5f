import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

/** Folder holding the Envoy protos assembled at install time by scripts/assemble-protos.mjs. */
export const PROTO_ROOT = resolve(__dirname, "..", "..", "protos", "gen");

const EXT_PROC_PROTO = "envoy/service/ext_proc/v3/external_processor.proto";

/** The folders of @grpc/grpc-js-xds's own copies of the Envoy API and its imports (what protos/gen is assembled from). */
function shippedProtoDirs(): string[] {
  try {
    const deps = join(dirname(require.resolve("@grpc/grpc-js-xds/package.json")), "deps");
    return ["envoy-api", "xds", "googleapis", "protoc-gen-validate"].map((dir) => join(deps, dir));
  } catch {
    return [];
  }
}

/**
 * Where the Envoy protos are loaded from: protos/gen in a clone (assembled at install, the set `buf lint` checks), else
 * (an installed package, which ships no protos/gen) the copies in @grpc/grpc-js-xds that protos/gen is made of.
 */
export function protoIncludeDirs(): string[] {
  if (existsSync(join(PROTO_ROOT, EXT_PROC_PROTO))) return [PROTO_ROOT];
  const shipped = shippedProtoDirs();
  return shipped.some((dir) => existsSync(join(dir, EXT_PROC_PROTO))) ? shipped : [PROTO_ROOT];
}

/**
 * Loader options shared by the router and the tests (the Envoy-facts fake processor). `longs: String` keeps uint64/int64 exact; `defaults: false`
 * keeps oneofs and unset fields absent, as Envoy sends them; `oneofs: true` adds the virtual oneof name.
 */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: false,
  oneofs: true,
  includeDirs: protoIncludeDirs(),
};

/** The `envoy.service.ext_proc.v3.ExternalProcessor` service definition and a client constructor for it. */
export interface ExtProcService {
  definition: grpc.ServiceDefinition;
  Client: grpc.ServiceClientConstructor;
}

let cached: ExtProcService | undefined;

/** Loads the ext_proc service (see {@link protoIncludeDirs}) once per process. */
export function loadExtProcService(): ExtProcService {
  if (cached) return cached;
  const dirs = LOADER_OPTIONS.includeDirs ?? [];
  if (!dirs.some((dir) => existsSync(join(dir, EXT_PROC_PROTO)))) {
    throw new Error(`Envoy protos missing under ${PROTO_ROOT}: run "npm run protos" (or install @grpc/grpc-js-xds)`);
  }
  const packageDefinition = protoLoader.loadSync(EXT_PROC_PROTO, LOADER_OPTIONS);
  const loaded = grpc.loadPackageDefinition(packageDefinition) as unknown as {
    envoy: { service: { ext_proc: { v3: { ExternalProcessor: grpc.ServiceClientConstructor } } } };
  };
  const Client = loaded.envoy.service.ext_proc.v3.ExternalProcessor;
  cached = { definition: Client.service, Client };
  return cached;
}
