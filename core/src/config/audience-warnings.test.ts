import { audienceWarnings } from "./audience-warnings";
import { parseConfig } from "./load";

const config = (auth: string) =>
  parseConfig(
    `version: 1
servers: [{ name: weather, url: "http://127.0.0.1:1/mcp" }]
policies: { all: { tools: ["*"] } }
auth:
${auth}
`,
    {},
  );
const JWT = `issuer: https://idp.example, jwksUrl: https://idp.example/jwks, defaultPolicy: all`;

describe("audienceWarnings", () => {
  it("says nothing when the audience is the advertised /mcp URL", () => {
    const text = `  jwt: { ${JWT}, audience: https://gw.example/mcp }\n  resourceMetadata: { resource: https://gw.example/mcp }`;
    expect(audienceWarnings(config(text))).toEqual([]);
  });

  it("warns that no URL audience refuses every JWT below /mcp", () => {
    expect(audienceWarnings(config(`  jwt: { ${JWT}, audience: mcp-gateway }`))).toEqual([
      expect.stringContaining("/mcp/<server> and virtual servers refuse every JWT"),
    ]);
  });

  it("warns when the advertised resource is no accepted audience", () => {
    const text = `  jwt: { ${JWT}, audience: https://gw.example/mcp }\n  resourceMetadata: { resource: https://other.example/mcp }`;
    expect(audienceWarnings(config(text))).toEqual([expect.stringContaining("is not in auth.jwt.audience")]);
  });

  it("says nothing with audienceScope: gateway", () => {
    expect(audienceWarnings(config(`  jwt: { ${JWT}, audience: mcp-gateway, audienceScope: gateway }`))).toEqual([]);
  });
});
