import { ConfigError, parseConfig } from "./load";

function issuesOf(text: string): readonly string[] {
  try {
    parseConfig(text, {});
  } catch (error: unknown) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

const HEAD = "version: 1\nauth: none\nservers:\n";
const SECURED = "version: 1\nauth: { apiKeys: { header: x-api-key } }\nservers:\n";

describe("resource prefixes in the config", () => {
  it("accepts a tool prefix whose resource prefix is implied, and an explicit resourcePrefix", () => {
    const config = parseConfig(
      `${HEAD}  - { name: my_srv, url: 'http://x/mcp' }\n  - { name: '1pass', url: 'http://y/mcp', resourcePrefix: onepass }\n`,
      {},
    );
    expect(config.servers.map((s) => [s.prefix, s.resourcePrefix])).toEqual([
      ["my_srv_", undefined],
      ["1pass_", "onepass"],
    ]);
  });

  it("refuses a tool prefix that implies no valid scheme prefix, naming the key to set", () => {
    expect(issuesOf(`${HEAD}  - { name: '1pass', url: 'http://x/mcp' }\n`)).toEqual([
      `servers[0].prefix: the tool prefix "1pass_" implies the resource prefix "1pass", which is not a URI scheme (a lower-case letter, then lower-case letters, digits, '.' or '-'); set servers[0].resourcePrefix`,
    ]);
  });

  it("refuses a tool prefix of separators only, which implies no resource prefix", () => {
    expect(issuesOf(`${HEAD}  - { name: a, url: 'http://x/mcp', prefix: '_' }\n`)[0]).toMatch(
      /^servers\[0\]\.prefix: the tool prefix "_" implies the resource prefix "", .*set servers\[0\]\.resourcePrefix$/,
    );
  });

  it.each(["Weather", "we_ather", "a+b", "1a", "a:b"])("refuses the resourcePrefix %j", (resourcePrefix) => {
    expect(issuesOf(`${HEAD}  - { name: a, url: 'http://x/mcp', resourcePrefix: '${resourcePrefix}' }\n`)).toEqual([
      "servers[0].resourcePrefix: expected a URI scheme: a lower-case letter, then lower-case letters, digits, '.' or '-'",
    ]);
  });

  it("refuses two servers with the same resource prefix, also when only implied", () => {
    const text = `${HEAD}  - { name: a_b, url: 'http://x/mcp' }\n  - { name: a-b, url: 'http://y/mcp' }\n  - { name: c, url: 'http://z/mcp', resourcePrefix: a-b }\n`;
    expect(issuesOf(text)).toEqual([
      'servers[1].resourcePrefix: resource prefix "a-b" is already used by server "a_b" (resource URIs would be ambiguous); set a distinct servers[1].resourcePrefix',
      'servers[2].resourcePrefix: resource prefix "a-b" is already used by server "a_b" (resource URIs would be ambiguous); set a distinct servers[2].resourcePrefix',
    ]);
  });

  it("allows several servers without a resource prefix", () => {
    const text = `${HEAD}  - { name: a, url: 'http://x/mcp', prefix: '' }\n  - { name: b, url: 'http://y/mcp', resourcePrefix: '' }\n`;
    expect(parseConfig(text, {}).servers).toHaveLength(2);
  });

  it.each([
    [
      "weather_*",
      '"weather_" is not the start of a URI scheme; resource URIs of "weather" are exposed as "weather+<uri>", so write "weather+*"',
    ],
    [
      "weather_weather://*",
      '"weather_weather" is not the start of a URI scheme; resource URIs of "weather" are exposed as "weather+<uri>", so write "weather+weather://*"',
    ],
    ["1x://a", '"1x" is not the start of a URI scheme'],
  ])("refuses the policy resource pattern %j, which can match no exposed URI", (pattern, reason) => {
    const text = `${SECURED}  - { name: weather, url: 'http://x/mcp' }\npolicies:\n  p: { resources: ['*', '${pattern}'] }\n`;
    expect(issuesOf(text)).toEqual([`policies.p.resources[1]: "${pattern}" can match no resource URI: ${reason}`]);
  });

  it.each(["*", "weather+*", "weather+weather://cities/*", "*_x", "file:///tmp/*", "urn:*"])(
    "accepts the policy resource pattern %j",
    (pattern) => {
      const text = `${SECURED}  - { name: weather, url: 'http://x/mcp' }\npolicies:\n  p: { resources: ['${pattern}'] }\n`;
      expect(parseConfig(text, {}).policies["p"]?.resources).toEqual([pattern]);
    },
  );
});
