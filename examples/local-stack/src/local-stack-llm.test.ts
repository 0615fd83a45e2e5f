import { REPO_ROOT } from "@mcp-gateway/example-kit";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parse } from "yaml";
import { pollUntil } from "../../../test/src/support/bounded-wait";
import {
  startScriptedProvider,
  text,
  toolCalls,
  type ScriptedProvider,
} from "../../../test/src/support/openai-provider";
import { DEMO_KEYS, llmDemoConfig, llmDemoSettings, startLocalStack, type LocalStack } from "./local-stack";
import { banner } from "./main";

jest.setTimeout(60_000);

// `npm start` with OPENAI_API_KEY set: the stack of local-stack.test.ts (on free ports) with the LLM proxy on, its
// provider the scripted OpenAI-compatible one of the tests (OPENAI_BASE_URL). Without the variable it stays off (see
// local-stack.test.ts). Needs a build (npm test does).

const FREE_PORTS = { gateway: 0, weather: 0, notes: 0, everything: 0, calendar: 0 };

describe("the LLM proxy of npm start", () => {
  const providerKey = "sk-local-stack-test-0123456789";
  let provider: ScriptedProvider;
  let stack: LocalStack;

  beforeAll(async () => {
    provider = await startScriptedProvider({ apiKey: providerKey });
    const env = { OPENAI_API_KEY: providerKey, OPENAI_BASE_URL: provider.url, OPENAI_MODEL: "gpt-4o" };
    stack = await startLocalStack({ ports: FREE_PORTS, env });
    await upstreamsReady(stack);
  });
  afterAll(async () => {
    await stack?.stop();
    await provider?.close();
  });

  it("prints the /v1 base URL and a curl example with a demo key when OPENAI_API_KEY is set", () => {
    const url = `http://127.0.0.1:${stack.ports.gateway}/v1`;
    expect(stack.llm).toEqual({ url, model: "gpt-4o" });
    const printed = banner(stack);
    expect(printed).toContain(`LLM proxy                ${url} (OpenAI-compatible, model gpt-4o`);
    expect(printed).toContain(`curl -s ${url}/chat/completions -H "Authorization: Bearer ${DEMO_KEYS.alice}"`);
    expect(printed).not.toContain(providerKey);
  });

  it("answers alice's chat completion end to end: her weather tool only, the provider key from the environment", async () => {
    provider.push(
      toolCalls({ name: "weather_get_forecast", arguments: { city: "Paris", days: 1 } }),
      text("Paris: mild tomorrow."),
    );
    const response = await chat(stack, DEMO_KEYS.alice, "Weather in Paris tomorrow?");
    const body = (await response.json()) as {
      model: string;
      choices: { message: { content: string } }[];
      mcp_tool_calls: { name: string; status: string }[];
    };
    expect(response.status).toBe(200);
    expect(body.choices[0]?.message.content).toBe("Paris: mild tomorrow.");
    expect(body.mcp_tool_calls).toEqual([
      expect.objectContaining({ name: "weather_get_forecast", status: "completed" }),
    ]);
    expect(provider.requests.map((r) => r.headers.authorization)).toEqual([
      `Bearer ${providerKey}`,
      `Bearer ${providerKey}`,
    ]);
    const first = provider.requests[0]?.body ?? {};
    expect(first["model"]).toBe("gpt-4o");
    const offered = (first["tools"] as { function: { name: string } }[]).map((t) => t.function.name);
    expect(offered).toContain("weather_get_forecast");
    expect(offered.every((name) => name.startsWith("weather_"))).toBe(true);
    const toolResult = (provider.requests[1]?.body?.["messages"] as { role: string; content: unknown }[]).find(
      (m) => m.role === "tool",
    );
    expect(JSON.stringify(toolResult?.content)).toContain("Paris");
    for (const process of stack.processes) expect(process.output()).not.toContain(providerKey);
  });
});

describe("llmDemoSettings and llmDemoConfig", () => {
  it("read OPENAI_API_KEY, OPENAI_BASE_URL and OPENAI_MODEL, with OpenAI's URL and gpt-4o-mini by default", () => {
    expect(llmDemoSettings({})).toBeUndefined();
    expect(llmDemoSettings({ OPENAI_API_KEY: "" })).toBeUndefined();
    expect(llmDemoSettings({ OPENAI_API_KEY: "sk-x" })).toEqual({
      baseUrl: "https://api.openai.com/v1",
      model: "gpt-4o-mini",
    });
    const env = { OPENAI_API_KEY: "sk-x", OPENAI_BASE_URL: "http://127.0.0.1:1234/v1", OPENAI_MODEL: "m" };
    expect(llmDemoSettings(env)).toEqual({ baseUrl: "http://127.0.0.1:1234/v1", model: "m" });
  });

  it("adds one provider with the key by reference and lets every demo policy use it, the rest unchanged", () => {
    const original = readFileSync(resolve(REPO_ROOT, "examples/gateway.yaml"), "utf8");
    const copy = llmDemoConfig(original, { baseUrl: "https://api.openai.com/v1", model: "gpt-4o-mini" });
    const parsed = parse(copy) as { llm: unknown; policies: Record<string, { llm?: unknown }> };
    expect(parsed.llm).toEqual({
      providers: [
        {
          name: "openai",
          baseUrl: "https://api.openai.com/v1",
          apiKey: "${env:OPENAI_API_KEY}",
          defaultModel: "gpt-4o-mini",
        },
      ],
    });
    expect(Object.values(parsed.policies).map((policy) => policy.llm)).toEqual([
      { providers: ["openai"] },
      { providers: ["openai"] },
      { providers: ["openai"] },
    ]);
    const withoutLlm = (yaml: string): unknown => {
      const {
        llm: _llm,
        policies,
        ...rest
      } = parse(yaml) as { llm?: unknown; policies: Record<string, { llm?: unknown }> };
      const stripped = Object.entries(policies).map(([name, { llm: _policyLlm, ...policy }]) => [name, policy]);
      return { ...rest, policies: stripped };
    };
    expect(withoutLlm(copy)).toEqual(withoutLlm(original));
  });
});

/** Waits until the gateway reports all four upstreams ready (it lists an upstream's tools once it is). */
async function upstreamsReady(running: LocalStack): Promise<void> {
  const ready = await pollUntil(async () => {
    const response = await fetch(`http://127.0.0.1:${running.ports.gateway}/status`);
    const status = (await response.json()) as { upstreams: { state: string }[] };
    return status.upstreams.every((u) => u.state === "ready");
  }, 15_000);
  if (!ready) throw new Error("the gateway did not report its four upstreams ready within 15 s");
}

/** POSTs a one-message chat completion to `running`'s /v1 with `key`. */
function chat(running: LocalStack, key: string, content: string): Promise<Response> {
  return fetch(`http://127.0.0.1:${running.ports.gateway}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ messages: [{ role: "user", content }] }),
  });
}
