import { parseConfig } from "./load";
import { RELOAD_EFFECTS, restartRequired } from "./reload-fields";
import { configSchema } from "./schema";

interface SchemaNode {
  _zod: {
    def: {
      type: string;
      shape?: Record<string, SchemaNode>;
      innerType?: SchemaNode;
      in?: SchemaNode;
      options?: SchemaNode[];
    };
  };
}

/** The field names of an object schema, through optional/default/prefault wrappers, pipes and unions of objects. */
function fieldsOf(schema: SchemaNode): string[] {
  const def = schema._zod.def;
  if (def.shape) return Object.keys(def.shape);
  const inner = def.innerType ?? def.in;
  if (inner) return fieldsOf(inner);
  return [...new Set((def.options ?? []).flatMap(fieldsOf))];
}

const shape = (configSchema as unknown as { in: SchemaNode }).in._zod.def.shape ?? {};
const sorted = (keys: Iterable<string>): string[] => [...keys].sort();

describe("RELOAD_EFFECTS", () => {
  it("classifies every top-level field of the schema, and nothing else", () => {
    expect(sorted(Object.keys(RELOAD_EFFECTS))).toEqual(sorted(Object.keys(shape)));
  });

  it.each(Object.entries(RELOAD_EFFECTS).filter(([, effect]) => typeof effect === "object"))(
    "classifies every field of %s, and nothing else",
    (section, effects) => {
      const node = shape[section];
      if (!node) throw new Error(`no section ${section} in the schema`);
      expect(sorted(Object.keys(effects as object))).toEqual(sorted(fieldsOf(node)));
    },
  );
});

const BASE = `version: 1
auth: { apiKeys: {} }
servers: [{ name: a, url: "http://127.0.0.1:1/mcp" }]
consumers: [{ name: c, policy: p, keyHash: "sha256:${"0".repeat(64)}" }]
policies: { p: { tools: ["*"] } }
`;

describe("restartRequired", () => {
  it.each<[what: string, extra: string, restart: string[]]>([
    ["nothing changed", "", []],
    ["reloadable changes (limits, health)", "limits: { maxBodyBytes: 1000 }\nhealth: { interval: 1s }", []],
    ["the session TTL (applies to sessions started after the reload)", "sessions: { ttl: 1m }", []],
    ["the standalone listener", 'standalone: { listen: "127.0.0.1:1234" }', ["standalone.listen"]],
    [
      "the session store and secret",
      `sessions: { store: "redis://r:6379", secret: "${"s".repeat(32)}" }`,
      ["sessions.secret", "sessions.store"],
    ],
    [
      "limits read at start among reloadable ones",
      "limits: { requestTimeout: 5s, maxJsonDepth: 32 }",
      ["limits.requestTimeout"],
    ],
    ["the identity secret", `auth: { apiKeys: {}, identitySecret: "${"i".repeat(32)}" }`, ["auth.identitySecret"]],
    ["the admin API added", `admin: { token: "${"t".repeat(32)}" }`, ["admin"]],
    [
      "the audit sinks, not the refusal budget",
      "audit: { stdout: true, refusalBudget: { rate: 5/s, burst: 1 } }",
      ["audit.stdout"],
    ],
    ["the rendered Envoy settings", "envoy: { xffTrustedHops: 1 }", ["envoy.xffTrustedHops"]],
    [
      "several at once, in schema order",
      'router: { listen: "127.0.0.1:1" }\nbroker: { listen: "127.0.0.1:2" }',
      ["router.listen", "broker.listen"],
    ],
  ])("%s", (_what, extra, restart) => {
    const started = parseConfig(BASE, {});
    const withExtra = BASE.replace(
      "auth: { apiKeys: {} }\n",
      extra.startsWith("auth:") ? "" : "auth: { apiKeys: {} }\n",
    );
    expect(restartRequired(started, parseConfig(`${withExtra}${extra}\n`, {}))).toEqual(restart);
  });
});
