import { z } from "zod";
import { duration, httpUrl, SERVER_NAME_RE } from "./fields";

const MODEL_RE = /^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,127}$/;
const model = z.string().regex(MODEL_RE, "expected a model name: letters, digits, '.', '_', ':', '@', '/' or '-'");
const positiveInt = z.number().int().positive();

/** One OpenAI-compatible LLM provider the gateway forwards to with its own key. */
const providerSchema = z
  .object({
    name: z.string().regex(SERVER_NAME_RE, "expected lower-case letters, digits, '-' or '_' (max 63)"),
    /** The API base, e.g. https://api.openai.com/v1 (`/chat/completions` and `/responses` are appended). */
    baseUrl: httpUrl,
    /** The gateway's key for this provider (use `${env:NAME}`); sent as `Authorization: Bearer`, never logged. */
    apiKey: z.string().min(1, "expected the provider's API key (e.g. ${env:OPENAI_API_KEY})"),
    defaultModel: model,
    /** The models the gateway lets consumers use at this provider; the default model is always allowed. */
    models: z.array(model).default([]),
    /** Bound on one request to the provider (a streamed answer included). */
    timeout: duration.refine((ms) => ms > 0, { error: "expected a positive duration" }).default(120_000),
    /** Model turns that may call tools in one LLM request; the next turn past it is sent without tools. */
    maxToolRounds: z.number().int().min(1).max(64).default(8),
    /** Cap on max_tokens / max_output_tokens per provider request (a client's larger value is lowered to it). */
    maxTokens: positiveInt.optional(),
  })
  .strict()
  .transform((provider) => ({
    ...provider,
    models: provider.models.includes(provider.defaultModel)
      ? provider.models
      : [provider.defaultModel, ...provider.models],
  }));

/** The `llm` section: providers and the gateway's LLM endpoints (`/v1/chat/completions`, `/v1/responses`). */
export const llmSchema = z
  .object({
    providers: z.array(providerSchema).min(1, "expected at least one provider"),
    /** Where the LLM endpoints reach the gateway's own MCP endpoint for tools (default: standalone's own listener). */
    mcpUrl: httpUrl.optional(),
    /** Size of an LLM request's body (413 above it). */
    maxRequestBytes: positiveInt.default(1_048_576),
  })
  .strict()
  .superRefine((llm, ctx) => {
    const seen = new Set<string>();
    llm.providers.forEach((provider, index) => {
      if (seen.has(provider.name))
        ctx.addIssue({
          code: "custom",
          path: ["providers", index, "name"],
          message: `duplicate provider ${provider.name}`,
        });
      seen.add(provider.name);
    });
  });

const tokenCaps = z
  .object({ input: positiveInt.optional(), output: positiveInt.optional(), total: positiveInt.optional() })
  .strict();

/** A policy's LLM permissions: which providers and models, and token budgets per consumer. Absent: no LLM access. */
export const llmPolicySchema = z
  .object({
    /** Providers (by name) this policy may use; the first one's default model serves a request without `model`. */
    providers: z
      .array(z.string().regex(SERVER_NAME_RE, "expected a provider name"))
      .min(1, "expected at least one provider"),
    /** Narrows the providers' models to these (`model` or `provider/model`); absent: every model they allow. */
    models: z.array(model).optional(),
    tokens: z.object({ perMinute: tokenCaps.optional(), perDay: tokenCaps.optional() }).strict().optional(),
  })
  .strict();

/** The validated `llm` section. */
export type LlmConfig = z.output<typeof llmSchema>;
/** One validated LLM provider. */
export type LlmProviderConfig = LlmConfig["providers"][number];
/** A policy's validated `llm` permissions. */
export type LlmPolicyConfig = z.output<typeof llmPolicySchema>;
