import { ConfigError, parseConfig } from "./load";

const PEM = "-----BEGIN PRIVATE KEY-----\nnot-a-real-key\n-----END PRIVATE KEY-----\n";
const TOKEN = `tokenUrl: "http://127.0.0.1:9000/token", clientId: gw`;

function config(auth: string): string {
  return `
version: 1
auth: none
servers:
  - { name: crm, url: "http://127.0.0.1:9101/mcp", auth: { ${auth} } }
`;
}

function issuesOf(text: string): string {
  try {
    parseConfig(text, { KEY: PEM });
  } catch (error: unknown) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("servers[].auth.clientAuth (private_key_jwt)", () => {
  it("reads an env-interpolated key, a kid and the default alg RS256", () => {
    const text = config(
      `type: oauth2ClientCredentials, ${TOKEN}, clientAuth: { method: private_key_jwt, privateKey: "\${env:KEY}", keyId: k1 }`,
    );
    expect(parseConfig(text, { KEY: PEM }).servers[0]?.auth).toMatchObject({
      clientAuth: { method: "private_key_jwt", privateKey: PEM, keyId: "k1", alg: "RS256" },
    });
  });

  it.each([
    ["both a secret and clientAuth", `clientSecret: s, clientAuth: { method: private_key_jwt, privateKeyFile: k.pem }`],
    ["neither", ""],
  ])("refuses %s", (_label, extra) => {
    expect(issuesOf(config(`type: oauth2ClientCredentials, ${TOKEN}${extra ? `, ${extra}` : ""}`))).toContain(
      "set exactly one of clientSecret and clientAuth",
    );
  });

  it("refuses a key given twice or not at all", () => {
    const both = `clientAuth: { method: private_key_jwt, privateKey: x, privateKeyFile: k.pem }`;
    expect(issuesOf(config(`type: oauth2ClientCredentials, ${TOKEN}, ${both}`))).toContain(
      "set exactly one of privateKey and privateKeyFile",
    );
    const none = `clientAuth: { method: private_key_jwt }`;
    expect(issuesOf(config(`type: tokenExchange, ${TOKEN}, ${none}`))).toContain(
      "set exactly one of privateKey and privateKeyFile",
    );
  });

  it("refuses symmetric and unknown algorithms", () => {
    const hs = `clientAuth: { method: private_key_jwt, privateKeyFile: k.pem, alg: HS256 }`;
    expect(issuesOf(config(`type: oauth2ClientCredentials, ${TOKEN}, ${hs}`))).toContain("alg");
  });

  it("checks the discovery client of a per-consumer mode too", () => {
    const text = config(`type: passthrough, audience: gw, discovery: { ${TOKEN} }`);
    expect(issuesOf(text)).toContain("set exactly one of clientSecret and clientAuth");
  });

  it("never repeats the key in an error", () => {
    const text = config(
      `type: oauth2ClientCredentials, ${TOKEN}, clientAuth: { method: private_key_jwt, privateKey: "\${env:KEY}", alg: XX1 }`,
    );
    expect(issuesOf(text)).not.toContain("not-a-real-key");
  });
});
