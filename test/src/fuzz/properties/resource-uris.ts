import fc from "fast-check";
import {
  AccessPolicy,
  authorize,
  Catalog,
  checkResourceUri,
  globToRegExp,
  parseConfig,
  parseJsonRpc,
  route,
  type Caller,
} from "@mcp-gateway/core";
import type { FuzzCase } from "../fuzz-case";

const PATTERN = "files+fs://host/public/*";
const config = parseConfig(
  'version: 1\nauth: none\nservers:\n  - { name: files, url: "http://127.0.0.1:9/mcp", prefix: "files_" }\n',
  {},
);
const catalog = Catalog.build(
  config.servers,
  new Map([["files", { tools: [], prompts: [], resources: [{ uri: "fs://host/public/readme" }] }]]),
);
const caller: Caller = {
  identity: { consumer: "fuzz", policy: "public", method: "api-key" },
  policy: new AccessPolicy("public", { tools: [], prompts: [], resources: [PATTERN] }),
};

/** Pieces attackers and parsers disagree about: dot segments, controls, encodings, separators, look-alikes. */
const TOKENS = [
  "/",
  "//",
  ".",
  "..",
  "%2e",
  "%2E",
  "%2f",
  "%5C",
  "%00",
  "%20",
  "\\",
  "\t",
  "\r",
  "\n",
  "\u0000",
  "\u007f",
  "\u0085",
  "\u00ad",
  "\u2028",
  "\ufeff",
  "\uff0e",
  "\u3002",
  " ",
  "?",
  "#",
  "@",
  ":",
  "public",
  "private",
  "key",
  "\u00fc",
  "\ud83d\ude00",
  "\ud800",
];
const STARTS = [
  "files+fs://host/public/",
  "files+fs://host/",
  "files+FS://host/public/",
  "files+fs://HOST/public/",
  "files+fs://host/public",
  " files+fs://host/public/",
  "files+fs:/public/",
  "files+fs://host/public/.\t./",
  "FILES+fs://host/public/",
  "files+files+fs://host/public/",
];

/** A resource URI the way a client may write one: a plausible start, then a run of tricky tokens. */
export const resourceUri = (): fc.Arbitrary<string> =>
  fc
    .tuple(
      fc.constantFrom(...STARTS),
      fc.array(fc.oneof(fc.constantFrom(...TOKENS), fc.string({ unit: "binary", maxLength: 3 })), { maxLength: 8 }),
    )
    .map(([start, tokens]) => start + tokens.join(""));

/** Whether the gateway would let `exposed` through to the upstream for a consumer allowed only {@link PATTERN}. */
function gatewayForwards(exposed: string): { upstreamUri: string } | undefined {
  const message = parseJsonRpc(
    JSON.stringify({ jsonrpc: "2.0", id: 1, method: "resources/read", params: { uri: exposed } }),
  );
  const decision = route(message, catalog);
  if (decision.kind !== "upstream") return undefined;
  const call = {
    method: "resources/read",
    kind: "resource" as const,
    exposed: decision.named.exposed,
    normalized: decision.named.normalized,
    server: decision.target.server.name,
    id: 1,
    routedBytes: decision.body.length,
    args: undefined,
    session: "s",
  };
  return authorize(caller, call) === undefined ? { upstreamUri: decision.target.name } : undefined;
}

/** The resource-URI properties of the fuzz suite. */
export const fuzzCases: FuzzCase[] = [
  {
    name: "policy allows a resource URI only if the upstream's WHATWG-normalized URI is under the allowed pattern",
    property: () =>
      fc.property(resourceUri(), (exposed) => {
        const forwarded = gatewayForwards(exposed);
        if (!forwarded) return;
        const url = new URL(forwarded.upstreamUri);
        // Independent of the gateway's own check: what the upstream's parser makes of it is under public/.
        if (url.protocol !== "fs:" || url.host !== "host" || !url.pathname.startsWith("/public/")) {
          throw new Error(`bypass: ${JSON.stringify(exposed)} reaches the upstream as ${url.href}`);
        }
        if (!globToRegExp(PATTERN).test(`files+${url.href}`)) {
          throw new Error(`normalizing ${JSON.stringify(exposed)} leaves the pattern: ${url.href}`);
        }
      }),
  },
  {
    name: "a resource URI the gateway accepts has a stable normalized form without dot segments",
    property: () =>
      fc.property(resourceUri(), (exposed) => {
        const checked = checkResourceUri(exposed.slice("files+".length));
        if (!checked.ok) return;
        if (new URL(checked.normalized).href !== checked.normalized) throw new Error(`unstable: ${checked.normalized}`);
        if (/\/\.\.?(\/|$)/.test(new URL(checked.normalized).pathname)) throw new Error(`dots: ${checked.normalized}`);
      }),
  },
];
