import { parseConfig } from "./load";

const BASE = `version: 1
servers: [{ name: weather, url: "http://127.0.0.1:1/mcp" }]
consumers: [{ name: alice, policy: p }]
`;
const PROVIDER = `llm:
  providers:
    - { name: openai, baseUrl: "https://api.openai.com/v1", apiKey: "\${env:OPENAI_API_KEY}", defaultModel: gpt-4o }
`;

describe("llm config", () => {
  it("defaults a provider's timeout, rounds and models, and reads the key from the environment", () => {
    const config = parseConfig(`${BASE}${PROVIDER}policies: { p: { llm: { providers: [openai] } } }`, {
      OPENAI_API_KEY: "sk-x",
    });
    expect(config.llm?.providers[0]).toMatchObject({
      apiKey: "sk-x",
      timeout: 120_000,
      maxToolRounds: 8,
      models: ["gpt-4o"],
    });
    expect(config.llm?.maxRequestBytes).toBe(1_048_576);
  });

  it("refuses a policy naming a provider that is not configured", () => {
    const yaml = `${BASE}${PROVIDER}policies: { p: { llm: { providers: [anthropic] } } }`;
    expect(() => parseConfig(yaml, { OPENAI_API_KEY: "sk-x" })).toThrow(/unknown LLM provider "anthropic"/);
  });

  it("refuses token caps that are not positive integers", () => {
    const yaml = `${BASE}${PROVIDER}policies: { p: { llm: { providers: [openai], tokens: { perMinute: { total: 0 } } } } }`;
    expect(() => parseConfig(yaml, { OPENAI_API_KEY: "sk-x" })).toThrow(/tokens\.perMinute\.total/);
  });

  it("never quotes the key in an error", () => {
    const yaml = `${BASE}llm: { providers: [{ name: openai, baseUrl: "not a url", apiKey: "sk-literal-secret", defaultModel: m }] }`;
    expect(() => parseConfig(yaml, {})).toThrow(/baseUrl/);
    try {
      parseConfig(yaml, {});
    } catch (error: unknown) {
      expect(String(error)).not.toContain("sk-literal-secret");
    }
  });
});
