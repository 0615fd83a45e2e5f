import { execFile, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { homedir, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parse, stringify } from "yaml";
import { pollUntil } from "./bounded-wait";
import { envoyBinary } from "./envoy-binary";

const REPO_ROOT = resolve(__dirname, "..", "..", "..");

/** The Envoy Gateway release the tests run: package.json `config.k8s.envoyGateway`. */
export function pinnedEnvoyGatewayVersion(): string {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as {
    config?: { k8s?: { envoyGateway?: unknown } };
  };
  const version = pkg.config?.k8s?.envoyGateway;
  if (typeof version !== "string") throw new Error("package.json config.k8s.envoyGateway is missing");
  return version;
}

/** Where scripts/install-envoy-gateway.mjs caches the built binary (kept in step with it). */
export function envoyGatewayBinary(version = pinnedEnvoyGatewayVersion()): string {
  const cache =
    process.env.MCP_GATEWAY_CACHE || join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "mcp-gateway");
  return join(cache, "envoy-gateway", version, "envoy-gateway");
}

/** Whether the Envoy Gateway binary is there (`npm run envoy-gateway:install` builds it; .ci/run always does). */
export const envoyGatewayInstalled = (): boolean => existsSync(envoyGatewayBinary());

/**
 * Ports Envoy Gateway binds whatever its config says (v1.9.1: the xDS server on 0.0.0.0:18000 and the file provider's
 * health probe on :8081, both hard-coded, and its Envoy's readiness listener on 0.0.0.0:19003; the metrics server on
 * 19001 unless disabled, which the config here does).
 */
export const ENVOY_GATEWAY_FIXED_PORTS = [18000, 8081, 19003];

/** Whether `port` can be bound on all interfaces now. */
async function portFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((done) => {
    server.once("error", () => done(false));
    server.listen({ port, host: "0.0.0.0", exclusive: true }, () => server.close(() => done(true)));
  });
}

/** A status Envoy Gateway's file provider logs: the kind, the status as YAML, then the object's key. */
const STATUS_RE = /Got new status for (\w+)\n([\s\S]*?)\n\t\{"runner": "provider", "key": "([^"]+)"\}/g;

/** Runs `binary` with `args` (HOME at `home`) to completion; rejects with its output when it fails. */
async function run(binary: string, args: string[], home: string): Promise<void> {
  await new Promise<void>((done, fail) =>
    execFile(binary, args, { env: { ...process.env, HOME: home }, timeout: 60_000 }, (error, stdout, stderr) =>
      error ? fail(new Error(`${binary} ${args.join(" ")} failed: ${stdout}${stderr}`)) : done(),
    ),
  );
}

/** Envoy Gateway running in standalone mode (file provider, host infrastructure) and the Envoy it launched. */
export interface EnvoyGatewayProcess {
  /** Where the resources are read from (every *.yaml there; rewriting one is picked up). */
  resourcesDir: string;
  /** Envoy Gateway's output so far (its log and the Envoy's, which it passes through). */
  output(): string;
  /**
   * The last status Envoy Gateway reported for each object, by `<Kind> <namespace>/<name>` (the file provider has no
   * API server to write it to: it logs it, as YAML after "Got new status for <Kind>").
   */
  statuses(): Map<string, Record<string, unknown>>;
  /** `http://<address>` of the admin interface of the Envoy it launched (func-e has Envoy write it to a file). */
  envoyAdminUrl(): Promise<string>;
  /** The access log lines of its Envoy so far (Envoy Gateway's default JSON format, on its stdout), oldest first. */
  accessLog(): Record<string, unknown>[];
  stop(): Promise<void>;
}

/** Options of {@link startEnvoyGateway}. */
export interface EnvoyGatewayOptions {
  /** The Gateway API and Envoy Gateway resources, written to one file. */
  resources: readonly object[];
  /** Envoy Gateway's admin port (loopback). */
  adminPort: number;
}

/** The EnvoyGateway config of standalone mode, its directories under `dir`. */
function envoyGatewayConfig(dir: string, options: EnvoyGatewayOptions): object {
  return {
    apiVersion: "gateway.envoyproxy.io/v1alpha1",
    kind: "EnvoyGateway",
    gateway: { controllerName: "gateway.envoyproxy.io/gatewayclass-controller" },
    provider: {
      type: "Custom",
      custom: {
        resource: { type: "File", file: { paths: [join(dir, "resources")] } },
        infrastructure: {
          type: "Host",
          host: {
            configHome: join(dir, "config"),
            dataHome: join(dir, "data"),
            stateHome: join(dir, "state"),
            runtimeDir: join(dir, "run"),
          },
        },
      },
    },
    admin: { address: { host: "127.0.0.1", port: options.adminPort } },
    telemetry: { metrics: { prometheus: { disable: true } } },
    logging: { level: { default: "info" } },
    extensionApis: { enableBackend: true },
  };
}

/**
 * Starts Envoy Gateway on `resources`. Its host infrastructure runs Envoy through func-e, which looks for
 * `<dataHome>/envoy-versions/<version>/bin/envoy` before downloading anything: that path is linked to the pinned Envoy
 * the other tests run, and the EnvoyProxy of the resources must name that version (`provider.host.envoyVersion`).
 */
export async function startEnvoyGateway(options: EnvoyGatewayOptions): Promise<EnvoyGatewayProcess> {
  for (const port of ENVOY_GATEWAY_FIXED_PORTS) {
    if (!(await portFree(port))) {
      throw new Error(`Envoy Gateway binds port ${port} (hard-coded in v${pinnedEnvoyGatewayVersion()}): it is taken`);
    }
  }
  const envoy = envoyBinary();
  const dir = await mkdtemp(join(tmpdir(), "envoy-gateway-"));
  const versionDir = join(dir, "data", "envoy-versions", envoy.version, "bin");
  await mkdir(versionDir, { recursive: true });
  await symlink(envoy.path, join(versionDir, "envoy"));
  await mkdir(join(dir, "resources"));
  await writeFile(join(dir, "resources", "resources.yaml"), options.resources.map((r) => stringify(r)).join("---\n"));
  const configPath = join(dir, "envoy-gateway.yaml");
  await writeFile(configPath, stringify(envoyGatewayConfig(dir, options)));
  // The xDS server's and Envoy's certificates (mutual TLS between them), as the standalone quickstart makes them.
  await run(envoyGatewayBinary(), ["certgen", "--local", "--config-home", join(dir, "config")], dir);
  const child: ChildProcess = spawn(envoyGatewayBinary(), ["server", "--config-path", configPath], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, HOME: dir },
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  return {
    resourcesDir: join(dir, "resources"),
    output: () => output,
    envoyAdminUrl: async () => {
      // func-e has Envoy write its admin address to `<runtimeDir>/<run id>/admin-address.txt`.
      const runtime = join(dir, "run");
      let address = "";
      const found = await pollUntil(
        async () => {
          for (const file of await readdir(runtime, { recursive: true }).catch(() => [])) {
            if (!file.endsWith("admin-address.txt")) continue;
            address = (await readFile(join(runtime, file), "utf8").catch(() => "")).trim();
            if (address) return true;
          }
          return false;
        },
        30_000,
        100,
      );
      if (!found) throw new Error(`no admin-address.txt of a launched Envoy under ${runtime}`);
      return `http://${address}`;
    },
    statuses: () => {
      const found = new Map<string, Record<string, unknown>>();
      for (const m of output.matchAll(STATUS_RE)) {
        found.set(`${m[1] ?? ""} ${m[3] ?? ""}`, parse(m[2] ?? "") as Record<string, unknown>);
      }
      return found;
    },
    accessLog: () =>
      output
        .split("\n")
        .filter((line) => line.startsWith("{") && line.includes('"response_code"'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = once(child, "exit");
        child.kill("SIGTERM");
        const exited = await pollUntil(() => child.exitCode !== null || child.signalCode !== null, 10_000, 100);
        if (!exited) child.kill("SIGKILL");
        await gone;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
