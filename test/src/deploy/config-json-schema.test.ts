import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import Ajv from "ajv";
import addFormats from "ajv-formats";
import { configJsonSchema, parseConfig } from "@mcp-gateway/core";
import { parse } from "yaml";

// The committed JSON Schema (schema/gateway.schema.json) is what editors load through the modeline of each example
// config. It is generated from the zod schema; this suite fails when the two drift, checks every example config
// (and each complete config in the docs) against it with a real JSON Schema validator, and checks that it refuses
// what the gateway refuses.
const ROOT = resolve(__dirname, "..", "..", "..");
const SCHEMA_FILE = "schema/gateway.schema.json";
const REGENERATE = "npm run schema:generate";
const MODELINE_RE = /^# yaml-language-server: \$schema=(\S+)$/;
const ENV = {
  MCP_GATEWAY_SESSION_SECRET: "s".repeat(32),
  MCP_GATEWAY_ADMIN_TOKEN: "t".repeat(32),
  // examples/upstreams-and-endpoints.yaml's upstream credentials.
  UPSTREAM_CLIENT_SECRET: "example-client-secret",
  HUBSPOT_REFRESH_TOKEN: "example-refresh-token",
};

const committed: unknown = JSON.parse(readFileSync(resolve(ROOT, SCHEMA_FILE), "utf8"));
const ajv = new Ajv({ strict: true, allowUnionTypes: true, allErrors: true });
addFormats(ajv);
const validate = ajv.compile(committed as object);

/** JSON Schema findings as `/path: message`, for a readable failure. */
function schemaErrors(value: unknown): string[] {
  return validate(value) ? [] : (validate.errors ?? []).map((error) => `${error.instancePath}: ${error.message}`);
}

/** Every YAML file under examples/ (dependencies and build output skipped), relative to the repo root. */
function exampleYamlFiles(dir = resolve(ROOT, "examples")): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return ["node_modules", "dist"].includes(entry.name) ? [] : exampleYamlFiles(path);
    return /\.ya?ml$/.test(entry.name) ? [relative(ROOT, path)] : [];
  });
}

/** A gateway config has `version` and `servers` at the top (compose and Envoy files do not). */
function isGatewayConfig(text: string): boolean {
  const doc: unknown = parse(text);
  return typeof doc === "object" && doc !== null && "version" in doc && "servers" in doc;
}

const exampleConfigs = exampleYamlFiles().filter((file) => isGatewayConfig(readFileSync(resolve(ROOT, file), "utf8")));

/** The ```yaml blocks of the docs that are complete configs (they start with the modeline), as [where, text]. */
function docConfigs(): [string, string][] {
  const docs = [
    "README.md",
    ...readdirSync(resolve(ROOT, "docs"))
      .filter((name) => name.endsWith(".md"))
      .map((name) => `docs/${name}`),
  ];
  return docs.flatMap((file) =>
    [...readFileSync(resolve(ROOT, file), "utf8").matchAll(/```yaml\n(# yaml-language-server:[\s\S]*?)```/g)].map(
      (match, index): [string, string] => [`${file} block ${index + 1}`, match[1] ?? ""],
    ),
  );
}

describe(`the config's JSON Schema (${SCHEMA_FILE})`, () => {
  it(`is what the zod schema generates (else run \`${REGENERATE}\`)`, () => {
    try {
      expect(committed).toEqual(configJsonSchema());
    } catch (error: unknown) {
      throw new Error(
        `${SCHEMA_FILE} is out of date with the zod schema: run \`${REGENERATE}\` and commit it.\n\n${String(error)}`,
      );
    }
  });

  it("finds the example configs (the checks below are not vacuous)", () => {
    expect(exampleConfigs).toEqual(expect.arrayContaining(["examples/gateway.yaml", "examples/compose/gateway.yaml"]));
    expect(docConfigs().length).toBeGreaterThan(0);
  });

  it.each(exampleConfigs)("%s names the schema in its first line (editors load it from there)", (file) => {
    const firstLine = readFileSync(resolve(ROOT, file), "utf8").split("\n")[0] ?? "";
    const target = MODELINE_RE.exec(firstLine)?.[1];
    expect(target && relative(ROOT, resolve(ROOT, dirname(file), target))).toBe(SCHEMA_FILE);
  });

  it.each(exampleConfigs)("%s is valid by the JSON Schema and by the gateway", (file) => {
    const text = readFileSync(resolve(ROOT, file), "utf8");
    expect(schemaErrors(parse(text))).toEqual([]);
    expect(() => parseConfig(text, ENV, file)).not.toThrow();
  });

  it.each(docConfigs())("the config in %s is valid by the JSON Schema and by the gateway", (where, text) => {
    expect(schemaErrors(parse(text))).toEqual([]);
    expect(() => parseConfig(text, ENV, where)).not.toThrow();
  });

  it("accepts ${env:NAME} where the value it stands for must be longer or a URL", () => {
    const config = {
      version: 1,
      servers: [{ name: "a", url: "${env:UPSTREAM_URL}" }],
      auth: "none",
      admin: { listen: "127.0.0.1:9092", token: "${env:ADMIN_TOKEN}" },
    };
    expect(schemaErrors(config)).toEqual([]);
  });

  it("accepts servers: [] as the gateway does (the controller's config once the last MCPServer is gone)", () => {
    const empty = { version: 1, servers: [], auth: "none" };
    expect(schemaErrors(empty)).toEqual([]);
    expect(parseConfig(JSON.stringify(empty), {}).servers).toEqual([]);
  });

  const minimal = { version: 1, servers: [{ name: "a", url: "http://127.0.0.1:9101/mcp" }], auth: "none" };
  it.each([
    ["an unknown top-level key", { ...minimal, sever: [] }],
    ["an unknown key in a server", { ...minimal, servers: [{ ...minimal.servers[0], tiemout: "5s" }] }],
    ["version 2", { ...minimal, version: 2 }],
    ["no servers key", { version: 1, auth: "none" }],
    ["a server name in capitals", { ...minimal, servers: [{ name: "Weather", url: "http://127.0.0.1:1/mcp" }] }],
    ["a server URL that is no URL", { ...minimal, servers: [{ name: "a", url: "not a url" }] }],
    ["an unknown key in limits", { ...minimal, limits: { maxBodyByte: 1 } }],
    [
      "a healthCheck that is neither tcp nor none",
      { ...minimal, servers: [{ ...minimal.servers[0], healthCheck: "http" }] },
    ],
    ["a number where a count goes as text", { ...minimal, limits: { maxBodyBytes: "1MB" } }],
  ])("refuses %s, as the gateway does", (_what, config) => {
    expect(() => parseConfig(JSON.stringify(config), {})).toThrow();
    expect(schemaErrors(config)).not.toEqual([]);
  });
});
