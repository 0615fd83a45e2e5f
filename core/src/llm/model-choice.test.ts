import { llmSchema, type LlmPolicyConfig } from "../config/llm-schema";
import { chooseModel } from "./model-choice";
import { LlmError } from "./llm-error";

const llm = llmSchema.parse({
  providers: [
    {
      name: "openai",
      baseUrl: "https://api.openai.com/v1",
      apiKey: "k1",
      defaultModel: "gpt-4o",
      models: ["gpt-4o-mini"],
    },
    {
      name: "local",
      baseUrl: "http://127.0.0.1:8000/v1",
      apiKey: "k2",
      defaultModel: "llama",
      models: ["gpt-4o-mini", "org/model"],
    },
    { name: "other", baseUrl: "http://127.0.0.1:9000/v1", apiKey: "k3", defaultModel: "secret-model" },
  ],
});
const both: LlmPolicyConfig = { providers: ["openai", "local"] };

function refusal(policy: LlmPolicyConfig, model: unknown): { status: number; code: string | null } {
  try {
    chooseModel(llm, policy, model);
  } catch (error: unknown) {
    if (error instanceof LlmError) return { status: error.status, code: error.code };
    throw error;
  }
  throw new Error("expected a refusal");
}

describe("chooseModel", () => {
  it.each([
    ["absent: the first provider's default model", undefined, "openai", "gpt-4o"],
    ["a model one provider lists", "llama", "local", "llama"],
    ["a model two providers list: the policy's first", "gpt-4o-mini", "openai", "gpt-4o-mini"],
    ["provider/model picks the provider", "local/gpt-4o-mini", "local", "gpt-4o-mini"],
    ["a model whose name holds a slash", "org/model", "local", "org/model"],
  ])("%s", (_name, model, provider, chosen) => {
    const choice = chooseModel(llm, both, model);
    expect([choice.provider.name, choice.model]).toEqual([provider, chosen]);
  });

  it("narrows to the policy's models, by model or provider/model", () => {
    const policy = { ...both, models: ["local/gpt-4o-mini"] };
    expect(chooseModel(llm, policy, "gpt-4o-mini").provider.name).toBe("local");
    expect(refusal(policy, "gpt-4o")).toEqual({ status: 403, code: "model_not_allowed" });
  });

  it.each([
    ["a model of a provider outside the policy is 403", "secret-model", 403, "model_not_allowed"],
    ["a model nobody offers is 400", "gpt-5-ultra", 400, "model_not_found"],
    ["a provider/model the provider does not list is 400", "openai/llama-x", 400, "model_not_found"],
  ])("%s", (_name, model, status, code) => {
    expect(refusal(both, model)).toEqual({ status, code });
  });

  it("refuses a model that is not a string", () => {
    expect(refusal(both, 42).status).toBe(400);
  });
});
