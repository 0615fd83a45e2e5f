import Ajv from "ajv";
import addFormats from "ajv-formats";
import fc from "fast-check";
import {
  Catalog,
  checkResourceUri,
  exposeResourceUri,
  parseConfig,
  parseJsonRpc,
  resourcePrefixOf,
  rewriteJsonReply,
  route,
  type ServerConfig,
} from "@mcp-gateway/core";
import type { FuzzCase } from "../fuzz-case";

// Resource URIs through the gateway (core/src/catalog/resource-uris.ts): every URI and URI template the gateway
// exposes is valid by the very validator the conformance suite applies to `format: uri` / `format: uri-template`
// (ajv-formats, full mode), and mapping a server's URI out and back is the identity and never reaches another server.

const ajv = new Ajv({ strict: false });
addFormats(ajv);
const isUri = ajv.compile({ type: "string", format: "uri" });
const isUriTemplate = ajv.compile({ type: "string", format: "uri-template" });

const chars = (alphabet: string, max: number): fc.Arbitrary<string> =>
  fc.array(fc.constantFrom(...alphabet), { maxLength: max }).map((c) => c.join(""));
const UNRESERVED = "abcXYZ019-._~";
const SUB_DELIMS = "!$&'()*+,;=";
const pctEncoded = fc
  .tuple(fc.constantFrom(..."0123456789abcdefABCDEF"), fc.constantFrom(..."09aF"))
  .map(([a, b]) => `%${a}${b}`);
const pchars = (max: number, extra = ""): fc.Arbitrary<string> =>
  fc
    .array(fc.oneof(fc.constantFrom(...UNRESERVED, ...SUB_DELIMS, ":", "@", ...extra), pctEncoded), { maxLength: max })
    .map((c) => c.join(""));

/** An RFC 3986 scheme, with `+`, `.` and `-` (`git+ssh`, `x.y`) as upstreams may use. */
const scheme = fc.tuple(fc.constantFrom(..."afgsxz"), chars("abz09+.-", 6)).map(([a, b]) => a + b);
const host = fc.oneof(
  pchars(8).map((h) => h.replace(/[:@]/g, "")),
  fc.constantFrom("[::1]", "[2001:db8::7]", "127.0.0.1", "[v1.x]"),
);
const authority = fc
  .tuple(
    fc.option(
      pchars(4).map((u) => `${u.replace(/@/g, "")}@`),
      { nil: "" },
    ),
    host,
    fc.constantFrom("", ":", ":8080"),
  )
  .map(([userinfo, h, port]) => userinfo + h + port);
const segments = fc.array(pchars(5), { maxLength: 4 }).map((s) => s.map((x) => `/${x}`).join(""));
const hierPart = fc.oneof(
  fc.tuple(authority, segments).map(([a, p]) => `//${a}${p}`),
  fc
    .tuple(
      pchars(5).filter((s) => s !== ""),
      segments,
    )
    .map(([first, rest]) => `/${first}${rest}`),
  fc
    .tuple(
      pchars(5).filter((s) => s !== ""),
      segments,
    )
    .map(([first, rest]) => first + rest),
);

/** An absolute RFC 3986 URI, as an upstream may list it. */
export const upstreamUri = fc
  .tuple(
    scheme,
    hierPart,
    fc.option(pchars(6, "/?"), { nil: undefined }),
    fc.option(pchars(6, "/?"), { nil: undefined }),
  )
  .map(([s, h, q, f]) => `${s}:${h}${q === undefined ? "" : `?${q}`}${f === undefined ? "" : `#${f}`}`);

/** An RFC 6570 template built from a URI: some path segments become expressions. */
export const upstreamTemplate = fc
  .tuple(upstreamUri, fc.constantFrom("{id}", "{+path}", "{/seg*}", "{?q,r}", "{#frag}"))
  .map(([uri, expression]) => uri.replace(/[?#].*$/u, "") + expression);

/** A resource prefix as config accepts it. */
const resourcePrefix = fc.tuple(fc.constantFrom(..."abwz"), chars("az09.-", 6)).map(([a, b]) => a + b);

/** A server name as config accepts it, starting with a letter (then its default prefix implies a resource prefix). */
const serverName = fc.tuple(fc.constantFrom(..."abwz"), chars("ab09_-", 6)).map(([a, b]) => a + b);

interface ServerSpec {
  name: string;
  resourcePrefix: string | undefined;
  uris: string[];
  templates: string[];
}

const serverSpecs = fc
  .uniqueArray(
    fc.record({
      name: serverName,
      resourcePrefix: fc.option(resourcePrefix, { nil: undefined }),
      uris: fc.array(upstreamUri, { maxLength: 3 }),
      templates: fc.array(upstreamTemplate, { maxLength: 2 }),
    }),
    { selector: (s) => s.resourcePrefix ?? resourcePrefixOf({ prefix: `${s.name}_` }), minLength: 1, maxLength: 4 },
  )
  // Names unique too and tool prefixes not shadowing each other; resource prefixes are (the selector above).
  .filter((specs) => specs.every((a) => specs.every((b) => a === b || !`${a.name}_`.startsWith(`${b.name}_`))));

interface Built {
  specs: readonly ServerSpec[];
  servers: readonly ServerConfig[];
  catalog: Catalog;
}

/** Through the real config loader: the resource prefixes are those a running gateway would use. */
function build(specs: readonly ServerSpec[]): Built {
  const servers = specs.map((spec, index) => ({
    name: spec.name,
    url: `http://127.0.0.1:${1000 + index}/mcp`,
    ...(spec.resourcePrefix === undefined ? {} : { resourcePrefix: spec.resourcePrefix }),
  }));
  const config = parseConfig(JSON.stringify({ version: 1, auth: "none", servers }), {});
  const listings = new Map(
    specs.map((spec) => [
      spec.name,
      {
        tools: [],
        prompts: [],
        resources: spec.uris.map((uri) => ({ uri, name: "r" })),
        resourceTemplates: spec.templates.map((uriTemplate) => ({ uriTemplate, name: "t" })),
      },
    ]),
  );
  return { specs, servers: config.servers, catalog: Catalog.build(config.servers, listings) };
}

function serverOf(built: Built, name: string): ServerConfig {
  const server = built.servers.find((s) => s.name === name);
  if (!server) throw new Error(`no server ${name}`);
  return server;
}

/** Where `resources/read` of `exposed` goes: the server and the URI it receives, read back from the routed body. */
function routed(built: Built, exposed: string): { server: string; uri: unknown } | undefined {
  const message = parseJsonRpc(
    JSON.stringify({ jsonrpc: "2.0", id: 7, method: "resources/read", params: { uri: exposed } }),
  );
  const decision = route(message, built.catalog, built.servers);
  if (decision.kind !== "upstream") return undefined;
  const body = JSON.parse(decision.body.toString()) as { params: { uri: unknown } };
  return { server: decision.target.server.name, uri: body.params.uri };
}

const fail = (what: string, detail: unknown): never => {
  throw new Error(`${what}: ${JSON.stringify(detail)}`);
};

/** The resource-URI mapping properties of the fuzz suite. */
export const fuzzCases: FuzzCase[] = [
  {
    name: "a valid URI or URI template stays valid (ajv-formats, as conformance checks) under any resource prefix",
    property: () =>
      fc.property(resourcePrefix, upstreamUri, upstreamTemplate, (prefix, uri, template) => {
        if (!isUri(uri)) fail("generator made an invalid URI", uri);
        // Literals of RFC 6570 are narrower than URI characters (no "'"): only valid templates are in scope.
        fc.pre(isUriTemplate(template));
        if (!isUri(exposeResourceUri(prefix, uri))) fail("exposed URI invalid", exposeResourceUri(prefix, uri));
        const exposedTemplate = exposeResourceUri(prefix, template);
        if (!isUriTemplate(exposedTemplate)) fail("exposed template invalid", exposedTemplate);
      }),
  },
  {
    name: "every server name's default resource prefix gives valid URIs",
    property: () =>
      fc.property(serverName, upstreamUri, (name, uri) => {
        const exposed = exposeResourceUri(resourcePrefixOf({ prefix: `${name}_` }), uri);
        if (!isUri(exposed)) fail("exposed URI invalid", { name, exposed });
      }),
  },
  {
    name: "a listed URI and a URI from a template map back to their own server and URI, and to no other",
    property: () =>
      fc.property(serverSpecs, upstreamUri, (specs, unlisted) => {
        const built = build(specs);
        const listed = built.catalog.listResources().map((r) => String(r["uri"]));
        for (const exposed of listed) if (!isUri(exposed)) fail("listed URI invalid", exposed);
        for (const spec of specs) {
          const server = serverOf(built, spec.name);
          const prefix = resourcePrefixOf(server);
          // Every server here has a resource prefix, so no two servers can expose the same URI.
          for (const uri of [...spec.uris, unlisted]) {
            const exposed = exposeResourceUri(prefix, uri);
            const target = routed(built, exposed);
            // URIs an upstream could read otherwise than the policy does are refused whoever serves them.
            if (spec.templates.length + spec.uris.length === 0 || !checkResourceUri(uri).ok) {
              if (target !== undefined) fail("routed a URI it must refuse", { exposed, target });
            } else if (target?.server !== spec.name || target.uri !== uri) {
              fail("round trip", { exposed, expected: [spec.name, uri], got: target });
            }
          }
        }
      }),
  },
  {
    name: "the gateway routes a URI to a server only if that server's mapping makes it (case of the prefix aside)",
    property: () =>
      fc.property(
        serverSpecs,
        fc.oneof(
          upstreamUri,
          fc.tuple(resourcePrefix, upstreamUri).map(([p, u]) => `${p}+${u}`),
          fc.string(),
        ),
        fc.boolean(),
        (specs, exposed, upper) => {
          const built = build(specs);
          const sent = upper ? exposed.replace(/^[^+:]*/u, (head) => head.toUpperCase()) : exposed;
          const target = routed(built, sent);
          if (target === undefined) return;
          const made = exposeResourceUri(resourcePrefixOf(serverOf(built, target.server)), String(target.uri));
          if (made.toLowerCase() !== sent.toLowerCase() || !sent.endsWith(String(target.uri))) {
            fail("routed a URI the server's mapping does not make", { sent, target });
          }
        },
      ),
  },
  {
    name: "URIs in a server's results come back to the client in a form that reads back from that server",
    property: () =>
      fc.property(serverSpecs, fc.array(upstreamUri, { minLength: 1, maxLength: 3 }), (specs, uris) => {
        const built = build(specs);
        const spec = specs.find((s) => s.uris.length + s.templates.length > 0);
        if (!spec) return;
        const server = serverOf(built, spec.name);
        const result = {
          jsonrpc: "2.0",
          id: 1,
          result: {
            contents: uris.map((uri) => ({ uri, text: "x" })),
            content: uris.map((uri) => ({ type: "resource_link", uri, name: "l" })),
          },
        };
        const reply = rewriteJsonReply(Buffer.from(JSON.stringify(result)), server);
        const rewritten = JSON.parse(reply.toString()) as { result: typeof result.result };
        const back = [...rewritten.result.contents, ...rewritten.result.content].map((c) => c.uri);
        back.forEach((exposed, index) => {
          const original = uris[index % uris.length] ?? "";
          if (!isUri(exposed)) fail("rewritten URI invalid", exposed);
          if (!checkResourceUri(original).ok) return;
          const target = routed(built, exposed);
          if (target?.server !== spec.name || target.uri !== original) {
            fail("result URI does not read back", { exposed, expected: [spec.name, original], got: target });
          }
        });
      }),
  },
];
