import type { LlmConfig, LlmPolicyConfig, LlmProviderConfig } from "../config/llm-schema";
import { quoteCapped } from "../text-cap";
import { invalidRequest, LlmError } from "./llm-error";

/** The provider and model one LLM request goes to. */
export interface ModelChoice {
  provider: LlmProviderConfig;
  model: string;
}

function forbidden(message: string): LlmError {
  return new LlmError(403, "permission_error", message, { param: "model", code: "model_not_allowed" });
}

function allowedByPolicy(policy: LlmPolicyConfig, choice: ModelChoice): boolean {
  const models = policy.models;
  return (
    models === undefined || models.includes(choice.model) || models.includes(`${choice.provider.name}/${choice.model}`)
  );
}

/** Where `requested` is offered: `provider/model` of a configured provider first, then each provider's own list. */
function offered(providers: readonly LlmProviderConfig[], requested: string): ModelChoice[] {
  const slash = requested.indexOf("/");
  if (slash > 0) {
    const provider = providers.find((p) => p.name === requested.slice(0, slash));
    const model = requested.slice(slash + 1);
    if (provider?.models.includes(model)) return [{ provider, model }];
  }
  return providers.filter((p) => p.models.includes(requested)).map((provider) => ({ provider, model: requested }));
}

/**
 * The provider and model for a request's `model` under the caller's policy: absent, the policy's first provider's
 * default model; `model` or `provider/model` among the policy's providers' allowed models otherwise. A model no
 * provider offers is a 400; one the policy does not allow a 403.
 */
export function chooseModel(llm: LlmConfig, policy: LlmPolicyConfig, requested: unknown): ModelChoice {
  const mine = policy.providers.flatMap((name) => llm.providers.filter((p) => p.name === name));
  if (requested === undefined || requested === null) {
    const provider = mine[0];
    if (!provider) throw forbidden("the policy names no configured LLM provider");
    const choice = { provider, model: provider.defaultModel };
    if (!allowedByPolicy(policy, choice))
      throw invalidRequest("model is required: the default model is not allowed by the policy", "model");
    return choice;
  }
  if (typeof requested !== "string" || requested.length === 0)
    throw invalidRequest("model must be a non-empty string", "model");
  const candidates = offered(mine, requested);
  const allowed = candidates.find((choice) => allowedByPolicy(policy, choice));
  if (allowed) return allowed;
  const name = quoteCapped(requested);
  if (candidates.length > 0 || offered(llm.providers, requested).length > 0)
    throw forbidden(`model ${name} is not allowed for this consumer's policy`);
  throw new LlmError(400, "invalid_request_error", `model ${name} is not offered by any LLM provider of this gateway`, {
    param: "model",
    code: "model_not_found",
  });
}
