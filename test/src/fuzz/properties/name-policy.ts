import fc from "fast-check";
import { AccessPolicy, Catalog, visibleLists, type PolicyConfig, type ServerConfig } from "@mcp-gateway/core";
import { anyText, lookAlike, prototypeName, shortName } from "../arbitraries";
import type { FuzzCase } from "../fuzz-case";
import { anyGlobMatches } from "../oracles";

// Policy matching of tool and prompt names (core/src/policy/access-policy.ts), against the documented rule
// (docs/configuration.md, policies): names match exactly as clients see them, `*` is the only wildcard, what a
// policy does not list is denied; a JWT tools claim narrows tools further. Resource URIs have their own module.

// Glob characters: `*`, and characters a regular expression would treat specially, which a glob must not.
const globUnit = fc.constantFrom("a", "b", "_", "x", "*", ".", "?", "+", "[", "]", "(", "|", "\\", "$", "^", "{");
const globArb = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: globUnit, minLength: 1, maxLength: 6 }) },
  { weight: 1, arbitrary: prototypeName() },
  { weight: 1, arbitrary: prototypeName().map((name) => `${name.slice(0, 3)}*`) },
);
const globs = fc.array(globArb, { maxLength: 3 });

/** A name to ask about: a pattern made concrete, a look-alike of it, a prototype name, or anything. */
function nameFor(patterns: readonly string[]): fc.Arbitrary<string> {
  const options: fc.Arbitrary<string>[] = [prototypeName(), fc.string({ unit: globUnit, maxLength: 6 }), anyText(8)];
  if (patterns.length > 0) {
    const concrete = fc
      .tuple(fc.constantFrom(...patterns), shortName("ab_x\n"))
      .map(([pattern, filler]) => pattern.split("*").join(filler));
    options.push(concrete, concrete, concrete.chain(lookAlike));
  }
  return fc.oneof(...options);
}

interface PolicyCase {
  config: PolicyConfig;
  claim: string[] | undefined;
  server: string;
  kind: "tool" | "prompt";
  name: string;
}

const policyCase: fc.Arbitrary<PolicyCase> = fc
  .record({
    tools: globs,
    prompts: globs,
    servers: fc.option(fc.array(fc.oneof(shortName("ab"), prototypeName()), { maxLength: 2 }), { nil: undefined }),
    claim: fc.option(globs, { nil: undefined }),
    server: fc.oneof(shortName("ab"), prototypeName()),
    kind: fc.constantFrom("tool" as const, "prompt" as const),
  })
  .chain(({ tools, prompts, servers, claim, server, kind }) =>
    nameFor([...(kind === "tool" ? tools : prompts), ...(claim ?? [])]).map((name) => ({
      config: { servers, tools, prompts, resources: [] },
      claim,
      server,
      kind,
      name,
    })),
  );

/** The documented rule, on its own: server listed (or no list), name matched, and for tools the claim too. */
function documented({ config, claim, server, kind, name }: PolicyCase): boolean {
  if (config.servers !== undefined && !anyGlobMatches(config.servers, server)) return false;
  if (!anyGlobMatches(kind === "tool" ? config.tools : config.prompts, name)) return false;
  return kind !== "tool" || claim === undefined || anyGlobMatches(claim, name);
}

const allows = (c: PolicyCase): boolean => new AccessPolicy("fuzz", c.config, c.claim).allows(c.kind, c.name, c.server);

const noBypass: FuzzCase = {
  name: "a tool or prompt is allowed only when a listed glob matches the whole name exactly (and the claim does)",
  property: () => fc.property(policyCase, (c) => !allows(c) || documented(c)),
};

const noFalseDenial: FuzzCase = {
  name: "a tool or prompt whose name a listed glob matches is allowed (globs match any character, line breaks too)",
  property: () => fc.property(policyCase, (c) => !documented(c) || allows(c)),
};

const prototypeNames: FuzzCase = {
  name: "Object.prototype names are allowed (as servers, tools, prompts) only when listed or matched by a glob",
  property: () =>
    fc.property(
      fc.array(fc.oneof(shortName("ab_"), prototypeName()), { maxLength: 3 }),
      fc.oneof(fc.constant(undefined), fc.array(fc.oneof(shortName("ab"), prototypeName()), { maxLength: 2 })),
      prototypeName(),
      (listed, servers, name) => {
        const policy = new AccessPolicy("fuzz", { servers, tools: listed, prompts: listed, resources: [] });
        const serverOk = servers === undefined || servers.includes(name);
        const targetOk = (servers === undefined || servers.includes("a")) && listed.includes(name);
        return (
          policy.allowsServer(name) === serverOk &&
          policy.allows("tool", name, "a") === targetOk &&
          policy.allows("prompt", name, "a") === targetOk
        );
      },
    ),
};

const weather: ServerConfig = { name: "weather", url: "http://127.0.0.1:1/mcp", prefix: "weather_", headers: {} };
const plain: ServerConfig = { name: "plain", url: "http://127.0.0.1:2/mcp", prefix: "", headers: {} };

const listedNames = fc.uniqueArray(fc.oneof(shortName("ab_x"), prototypeName(), anyText(5)), { maxLength: 5 });

const listsMatchCalls: FuzzCase = {
  name: "tools/list and prompts/list show exactly the tools and prompts the policy lets the consumer call",
  property: () =>
    fc.property(listedNames, listedNames, globs, globs, (tools, prompts, toolGlobs, promptGlobs) => {
      const listing = {
        tools: tools.map((name) => ({ name, inputSchema: { type: "object" } })),
        prompts: prompts.map((name) => ({ name })),
        resources: [],
      };
      const catalog = Catalog.build(
        [weather, plain],
        new Map([
          ["weather", listing],
          ["plain", listing],
        ]),
      );
      const policy = new AccessPolicy("fuzz", {
        servers: undefined,
        tools: toolGlobs,
        prompts: promptGlobs,
        resources: [],
      });
      const lists = visibleLists(catalog, policy);
      const shown = (items: readonly Record<string, unknown>[]): Set<unknown> =>
        new Set(items.map((item) => item["name"]));
      const [shownTools, shownPrompts] = [shown(lists.tools), shown(lists.prompts)];
      const exposed = [...tools.map((t) => `weather_${t}`), ...tools];
      const exposedPrompts = [...prompts.map((p) => `weather_${p}`), ...prompts];
      const callable = (kind: "tool" | "prompt", name: string): boolean => {
        const target = kind === "tool" ? catalog.resolveTool(name) : catalog.resolvePrompt(name);
        return target !== undefined && policy.allows(kind, name, target.server.name);
      };
      return (
        exposed.every((name) => shownTools.has(name) === callable("tool", name)) &&
        exposedPrompts.every((name) => shownPrompts.has(name) === callable("prompt", name)) &&
        [...shownTools].every((name) => exposed.includes(name as string)) &&
        [...shownPrompts].every((name) => exposedPrompts.includes(name as string))
      );
    }),
};

/** Name policy: globs as documented, look-alikes, prototype names, and lists agreeing with calls. */
export const fuzzCases: FuzzCase[] = [noBypass, noFalseDenial, prototypeNames, listsMatchCalls];
