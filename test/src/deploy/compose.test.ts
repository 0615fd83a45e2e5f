import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { loadConfigFile } from "@mcp-gateway/core";
import { checkEnvoyConfig, DEFAULT_RENDER_OPTIONS, renderEnvoyYaml } from "@mcp-gateway/router";
import { parse } from "yaml";
import { pinnedEnvoyVersion } from "../support/envoy-binary";
import { pinnedJaegerVersion } from "../support/jaeger";

// No Docker engine runs here: the compose file is checked by Debian's docker-compose (`config` needs no engine;
// .ci/run installs it), and the stack was not started.
const ROOT = resolve(__dirname, "..", "..", "..");
const COMPOSE_DIR = resolve(ROOT, "examples/compose");
const COMPOSE_FILE = resolve(COMPOSE_DIR, "docker-compose.yaml");
const TRACING_FILE = resolve(COMPOSE_DIR, "docker-compose.tracing.yaml");
const SECRET = { MCP_GATEWAY_SESSION_SECRET: "compose-test-secret-0123456789abcdef" };

interface ComposeService {
  image?: string;
  ports?: string[];
  volumes?: string[];
  read_only?: boolean;
  security_opt?: string[];
  profiles?: string[];
}

function composeConfig(
  env: Record<string, string>,
  args: string[] = [],
): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync("docker-compose", ["-f", COMPOSE_FILE, ...args, "config"], {
    encoding: "utf8",
    env: { PATH: process.env["PATH"] ?? "", ...env },
  });
  if (result.error)
    throw new Error(
      `docker-compose is missing (apt-get install --no-install-recommends docker-compose): ${result.error.message}`,
    );
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("examples/compose/docker-compose.yaml", () => {
  const result = composeConfig(SECRET);
  const services = (
    result.status === 0 ? (parse(result.stdout) as { services: Record<string, ComposeService> }).services : {}
  ) as Record<string, ComposeService>;

  it("is valid for docker-compose (config resolves)", () => {
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const always = Object.keys(services).filter((name) => services[name]?.profiles === undefined);
    expect(always.sort()).toEqual(["calendar", "envoy", "everything", "gateway", "notes", "weather"]);
  });

  it("adds Prometheus, Grafana and Jaeger behind the optional profile observability", () => {
    const profiled = Object.entries(services).filter(([, s]) => s.profiles !== undefined);
    expect(profiled.map(([name, s]) => [name, s.profiles]).sort()).toEqual([
      ["grafana", ["observability"]],
      ["jaeger", ["observability"]],
      ["prometheus", ["observability"]],
    ]);
    expect(services["prometheus"]?.image).toMatch(/^prom\/prometheus:v\d+\.\d+\.\d+$/);
    expect(services["grafana"]?.image).toMatch(/^grafana\/grafana:\d+\.\d+\.\d+$/);
    // Jaeger releases v1.x and v2.(x - 63) together since 1.63.0 / 2.0.0: the image is the release the tests build.
    const [, minor, patch] = pinnedJaegerVersion().split(".").map(Number) as [number, number, number];
    expect(services["jaeger"]?.image).toBe(`jaegertracing/jaeger:2.${minor - 63}.${patch}`);
    const withProfile = composeConfig(SECRET, ["--profile", "observability"]);
    expect(withProfile.stderr).toBe("");
    expect(withProfile.status).toBe(0);
    // The example config and rules promtool checks (test/src/deploy/observability.test.ts) are the ones mounted.
    expect(services["prometheus"]?.volumes).toEqual([
      `${ROOT}/examples/observability/prometheus.yml:/etc/prometheus/prometheus.yml:ro`,
      `${ROOT}/examples/observability/alerts.yml:/etc/prometheus/alerts.yml:ro`,
    ]);
    const jaegerPorts = (services["jaeger"]?.ports ?? []).map((port) => port.replace(/\/tcp$/, ""));
    expect(jaegerPorts).toEqual(expect.arrayContaining(["127.0.0.1:4317:4317", "127.0.0.1:4318:4318"]));
  });

  it("pins the official Envoy image to the release the tests run (package.json config.envoyVersion)", () => {
    expect(services["envoy"]?.image).toBe(`envoyproxy/envoy:v${pinnedEnvoyVersion()}`);
  });

  it("publishes ports on loopback only", () => {
    const ports = Object.values(services).flatMap((s) => s.ports ?? []);
    expect(ports.length).toBeGreaterThan(0);
    for (const port of ports) expect(port).toMatch(/^127\.0\.0\.1:/);
  });

  it("mounts only files that exist", () => {
    const sources = Object.values(services).flatMap((s) => (s.volumes ?? []).map((v) => v.split(":")[0] ?? ""));
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) expect(existsSync(source)).toBe(true);
  });

  it("runs the gateway's containers read-only without privilege escalation", () => {
    for (const name of ["gateway", "weather", "notes", "everything", "calendar"]) {
      expect(services[name]).toMatchObject({ read_only: true, security_opt: ["no-new-privileges:true"] });
    }
  });

  it("refuses to start without a session secret, saying which variable", () => {
    const missing = composeConfig({});
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toContain("set MCP_GATEWAY_SESSION_SECRET");
  });
});

describe("examples/compose/docker-compose.tracing.yaml", () => {
  const result = composeConfig(SECRET, ["-f", TRACING_FILE, "--profile", "observability"]);
  const services = (parse(result.stdout) as { services: Record<string, ComposeService> } | null)?.services ?? {};
  const readYaml = (name: string): Record<string, unknown> =>
    parse(readFileSync(resolve(COMPOSE_DIR, name), "utf8")) as Record<string, unknown>;

  it("mounts the tracing configs of the gateway and Envoy in place of the defaults", () => {
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const mounts = (service: string): string[] => services[service]?.volumes ?? [];
    expect(mounts("gateway")).toEqual([
      `${resolve(COMPOSE_DIR, "gateway.tracing.yaml")}:/etc/mcp-gateway/gateway.yaml:ro`,
    ]);
    expect(mounts("envoy")).toEqual([`${resolve(COMPOSE_DIR, "envoy.tracing.yaml")}:/etc/envoy/envoy.yaml:ro`]);
  });

  it("is gateway.yaml with tracing on, to the OTLP/HTTP port of the observability profile's Jaeger", () => {
    const { tracing, ...rest } = readYaml("gateway.tracing.yaml");
    expect(rest).toEqual(readYaml("gateway.yaml"));
    expect(tracing).toMatchObject({ enabled: true, endpoint: "http://jaeger:4318" });
    expect(services["jaeger"]?.profiles).toEqual(["observability"]);
    expect(services["jaeger"]?.ports?.some((port) => /^127\.0\.0\.1:4318:4318(\/tcp)?$/.test(port))).toBe(true);
  });
});

describe.each([
  ["gateway.yaml", "envoy.yaml", false],
  ["gateway.tracing.yaml", "envoy.tracing.yaml", true],
])("examples/compose/%s rendered", (gateway, envoy, traced) => {
  it(`is committed as ${envoy} and keeps the gateway invariants`, async () => {
    const config = await loadConfigFile(resolve(COMPOSE_DIR, gateway), SECRET);
    const text = readFileSync(resolve(COMPOSE_DIR, envoy), "utf8");
    const committed = parse(text) as unknown;
    const rendered = renderEnvoyYaml(config, `examples/compose/${gateway}`, {
      ...DEFAULT_RENDER_OPTIONS,
      router: { address: "gateway", port: 9000 },
      broker: { address: "gateway", port: 8081 },
    });
    expect(committed).toEqual(parse(rendered));
    expect(checkEnvoyConfig(committed)).toEqual([]);
    // Envoy's tracer is rendered only into the tracing variant.
    expect(text.includes("envoy.tracers.opentelemetry")).toBe(traced);
  });
});
