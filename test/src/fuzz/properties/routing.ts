import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { brokerResult } from "@mcp-gateway/broker";
import {
  AccessPolicy,
  buildUpstreamHeaders,
  Catalog,
  GatewayError,
  JsonRpcErrorCode,
  parseConfig,
  parseJsonRpc,
  route,
  ROUTED_METHODS,
  type JsonRpcRequest,
  type ServerConfig,
} from "@mcp-gateway/core";
import { anyText, lookAlike, prototypeName, shortName } from "../arbitraries";
import type { FuzzCase } from "../fuzz-case";
import { anyGlobMatches } from "../oracles";

// Routing (core/src/routing/route.ts over core/src/catalog): for random catalogs of prefixed servers, a call goes to
// exactly the server whose prefix and tool (or prompt) make up the name, with the upstream's own name in an
// otherwise unchanged body; anything else is an unknown name. The broker answers only its own methods.

/** One generated upstream: its config entry's fields and what it lists. */
interface ServerSpec {
  name: string;
  prefix: string | undefined;
  tools: string[];
  prompts: string[];
  include: string[] | undefined;
  exclude: string[] | undefined;
}

const glob = shortName("ab_x*");
const upstreamName = (weird: boolean): fc.Arbitrary<string> =>
  // Upstream listings with an empty name are dropped before the catalog (upstream/listing.ts): never generated.
  weird
    ? fc.oneof(
        { weight: 3, arbitrary: shortName("ab_x") },
        anyText(6).filter((name) => name !== ""),
      )
    : shortName("ab_x");

const serverSpec = (weird: boolean): fc.Arbitrary<ServerSpec> =>
  fc.record({
    name: fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,3}$/),
    prefix: fc.oneof(fc.constant(undefined), fc.constant(""), shortName("ab_.-")),
    tools: fc.array(upstreamName(weird), { maxLength: 4 }),
    prompts: fc.array(upstreamName(weird), { maxLength: 3 }),
    include: fc.option(fc.array(glob, { maxLength: 2 }), { nil: undefined }),
    exclude: fc.option(fc.array(glob, { maxLength: 2 }), { nil: undefined }),
  });

const specs = (weird: boolean): fc.Arbitrary<ServerSpec[]> =>
  fc.uniqueArray(serverSpec(weird), { selector: (s) => s.name, minLength: 1, maxLength: 4 });

/** A catalog the gateway accepts: prefixes that would shadow an earlier one's are made empty, as config demands. */
interface Built {
  servers: readonly ServerConfig[];
  specs: readonly ServerSpec[];
  catalog: Catalog;
}

function build(input: readonly ServerSpec[]): Built {
  const taken: string[] = [];
  const fixed = input.map((spec) => {
    const prefix = spec.prefix ?? `${spec.name}_`;
    const shadows = taken.some((other) => other.startsWith(prefix) || prefix.startsWith(other));
    if (prefix !== "" && !shadows) taken.push(prefix);
    return { ...spec, prefix: prefix !== "" && shadows ? "" : prefix };
  });
  const servers = fixed.map((spec, index) => ({
    name: spec.name,
    url: `http://127.0.0.1:${1000 + index}/mcp`,
    prefix: spec.prefix,
    // Tool prefixes here may imply no valid resource prefix (a leading digit, "_x"): resources are not under test.
    resourcePrefix: `r${index}`,
    ...(spec.include || spec.exclude ? { tools: { include: spec.include, exclude: spec.exclude } } : {}),
  }));
  // Through the real config loader (JSON is YAML): only catalogs a gateway could run with are generated.
  const config = parseConfig(JSON.stringify({ version: 1, auth: "none", servers }), {});
  const listings = new Map(
    fixed.map((spec) => [
      spec.name,
      {
        tools: spec.tools.map((name) => ({ name, inputSchema: { type: "object" } })),
        prompts: spec.prompts.map((name) => ({ name })),
        resources: [],
      },
    ]),
  );
  return { servers: config.servers, specs: fixed, catalog: Catalog.build(config.servers, listings) };
}

type Kind = "tool" | "prompt";

const passesFilter = (spec: ServerSpec, tool: string): boolean =>
  (spec.include === undefined || anyGlobMatches(spec.include, tool)) &&
  !(spec.exclude !== undefined && anyGlobMatches(spec.exclude, tool));

/** The reference: the first server in config order whose prefix and listed (and not filtered) name make `exposed`. */
function expectedTarget(built: Built, kind: Kind, exposed: string): { server: string; name: string } | undefined {
  for (const spec of built.specs) {
    const names = kind === "tool" ? spec.tools.filter((tool) => passesFilter(spec, tool)) : spec.prompts;
    const name = names.find((candidate) => (spec.prefix ?? "") + candidate === exposed);
    if (name !== undefined) return { server: spec.name, name };
  }
  return undefined;
}

const exposedNames = (built: Built): string[] =>
  built.specs.flatMap((spec) => [...spec.tools, ...spec.prompts].map((name) => (spec.prefix ?? "") + name));

/** A name to call: one the catalog exposes, a look-alike of one, a prototype name (bare or prefixed) or any name. */
function calledName(built: Built): fc.Arbitrary<string> {
  const exposed = exposedNames(built);
  const prefixes = built.specs.map((spec) => spec.prefix ?? "");
  const options: fc.Arbitrary<string>[] = [
    prototypeName(),
    fc.tuple(fc.constantFrom(...prefixes), prototypeName()).map(([prefix, name]) => prefix + name),
    shortName("ab_x.-"),
  ];
  if (exposed.length > 0) {
    const known = fc.constantFrom(...exposed);
    options.push(known, known, known, known.chain(lookAlike));
  }
  return fc.oneof(...options);
}

const METHODS = ["tools/call", "prompts/get", "completion/complete"] as const;
type CallMethod = (typeof METHODS)[number];

/** The params of a call naming `name`, with other members (arguments, _meta, prototype-named keys) around it. */
function callParams(method: CallMethod, name: string, extra: Record<string, unknown>): Record<string, unknown> {
  if (method === "completion/complete") return { ...extra, ref: { type: "ref/prompt", name } };
  return { ...extra, name };
}

const extraMembers = fc.dictionary(
  fc.oneof(fc.constantFrom("arguments", "_meta", "argument"), prototypeName(), anyText(5)),
  fc.jsonValue({ maxDepth: 3 }),
  { maxKeys: 3 },
);

/** A generated routed call: the catalog, the method, the name, the params around it, the request id. */
const routedCall = (weird: boolean) =>
  specs(weird)
    .map(build)
    .chain((built) =>
      fc.record({
        built: fc.constant(built),
        method: fc.constantFrom(...METHODS),
        name: calledName(built),
        extra: extraMembers,
        id: fc.oneof(fc.integer(), anyText(6)),
      }),
    );

/** The client's body: JSON text with every member own (also `__proto__`, which an object spread would drop). */
function bodyOf(method: CallMethod, name: string, extra: Record<string, unknown>, id: string | number): string {
  return JSON.stringify({ jsonrpc: "2.0", id, method, params: callParams(method, name, extra) });
}

const routesExactly: FuzzCase = {
  name: "a call routes to exactly the server whose prefix and name make it up, with an otherwise unchanged body",
  property: () =>
    fc.property(routedCall(true), ({ built, method, name, extra, id }) => {
      const body = bodyOf(method, name, extra, id);
      const decision = route(parseJsonRpc(body), built.catalog, built.servers);
      const expected = expectedTarget(built, method === "tools/call" ? "tool" : "prompt", name);
      if (expected === undefined)
        return decision.kind === "reject" && decision.error.code === JsonRpcErrorCode.InvalidParams;
      if (decision.kind !== "upstream") return false;
      if (decision.target.server.name !== expected.server || decision.target.name !== expected.name) return false;
      // What the upstream parses is what the client sent, with the upstream's own name in place of the exposed one.
      const wanted = JSON.parse(bodyOf(method, expected.name, extra, id)) as unknown;
      const sent = JSON.parse(decision.body.toString()) as unknown;
      return decision.id === id && decision.named.exposed === name && isDeepStrictEqual(sent, wanted);
    }),
};

const prototypeNamesNeverRoute: FuzzCase = {
  name: "prototype property names (bare or prefixed) are unknown tools and prompts unless a server lists them",
  property: () =>
    fc.property(
      specs(false).map(build),
      fc.constantFrom(...METHODS),
      fc.nat(),
      prototypeName(),
      (built, method, pick, name) => {
        const prefix = built.specs[pick % built.specs.length]?.prefix ?? "";
        const decision = route(parseJsonRpc(bodyOf(method, prefix + name, {}, 1)), built.catalog, built.servers);
        return decision.kind === "reject" && decision.error.code === JsonRpcErrorCode.InvalidParams;
      },
    ),
};

// Node refuses other characters in a header value (ERR_INVALID_CHAR), Envoy refuses CR, LF and NUL.
const VALID_FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

const upstreamHeaders: FuzzCase = {
  name: "a routed call's upstream headers are valid HTTP field values with a content-length of the body's bytes",
  property: () =>
    fc.property(routedCall(true), ({ built, method, name, extra, id }) => {
      const decision = route(parseJsonRpc(bodyOf(method, name, extra, id)), built.catalog, built.servers);
      if (decision.kind !== "upstream") return true;
      const backend = { sessionId: "backend-1", protocolVersion: "2025-06-18", createdAt: 0 };
      const call = {
        server: decision.target.server,
        method,
        targetName: decision.target.name,
        backend,
        body: decision.body,
      };
      const { setHeaders } = buildUpstreamHeaders(call);
      const bytes = Buffer.from(decision.body.toString("utf8"), "utf8");
      // x-mcp-tool carries the upstream's tool name percent-encoded (UTF-8, a lone surrogate as U+FFFD), in visible
      // ASCII only, and decodes back to it.
      const tool = setHeaders["x-mcp-tool"];
      const wellFormed = Buffer.from(decision.target.name, "utf8").toString("utf8");
      const toolHeaderOk =
        method !== "tools/call" ||
        (tool !== undefined && /^[\x21-\x7e]*$/.test(tool) && decodeURIComponent(tool) === wellFormed);
      return (
        bytes.equals(decision.body) &&
        setHeaders["content-length"] === String(bytes.length) &&
        Object.values(setHeaders).every((value) => VALID_FIELD_VALUE.test(value)) &&
        toolHeaderOk
      );
    }),
};

const BROKER_METHODS: ReadonlySet<string> = new Set([
  "ping",
  "tools/list",
  "prompts/list",
  "resources/list",
  "resources/templates/list",
  "logging/setLevel",
]);
const ROUTED: ReadonlySet<string> = new Set(ROUTED_METHODS);

const brokerDispatch: FuzzCase = {
  name: "the broker answers only its own methods: any other (prototype names too) is -32601 method not found",
  property: () =>
    fc.property(
      specs(false).map(build),
      fc.oneof(prototypeName(), fc.constantFrom(...BROKER_METHODS, ...ROUTED), anyText(12)),
      (built, method) => {
        const raw = { jsonrpc: "2.0", id: 1, method, params: {} };
        const request: JsonRpcRequest = { kind: "request", id: 1, method, params: {}, raw };
        const policy = new AccessPolicy("fuzz", { servers: undefined, tools: [], prompts: [], resources: [] });
        let result: Record<string, unknown>;
        try {
          result = brokerResult(built.catalog, request, policy);
        } catch (error: unknown) {
          if (!(error instanceof GatewayError)) throw error;
          const expected = ROUTED.has(method) ? JsonRpcErrorCode.InternalError : JsonRpcErrorCode.MethodNotFound;
          return !BROKER_METHODS.has(method) && error.code === expected;
        }
        // A policy allowing nothing sees empty lists: nothing of the catalog (let alone its config) may come back.
        const nothingShown = Object.values(result).every((value) => Array.isArray(value) && value.length === 0);
        return BROKER_METHODS.has(method) && nothingShown;
      },
    ),
};

/** Routing decisions over random catalogs, the upstream headers of a routed call, and the broker's dispatch. */
export const fuzzCases: FuzzCase[] = [routesExactly, prototypeNamesNeverRoute, upstreamHeaders, brokerDispatch];
