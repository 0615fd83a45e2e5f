import { capText } from "../text-cap";
import { LlmError } from "./llm-error";

const MAX_PROVIDER_MESSAGE = 500;

/** The provider's own error message from its body (OpenAI's `{error: {message}}`), capped; never the key. */
export function providerMessage(body: string, apiKey: string): string {
  let message = body;
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } | string };
    const error = parsed.error;
    if (typeof error === "string") message = error;
    else if (typeof error?.message === "string") message = error.message;
  } catch {
    // not JSON: the raw text, capped
  }
  const scrubbed = apiKey.length > 0 ? message.split(apiKey).join("[REDACTED]") : message;
  return capText(scrubbed.trim() || "(no message)", MAX_PROVIDER_MESSAGE);
}

/**
 * The client's error for a provider's HTTP error status: 400 passes the provider's message on, 429 keeps Retry-After,
 * 401/403 mean the gateway's own key was refused (502), anything else is a 502 naming the provider.
 */
export function providerStatusError(
  provider: string,
  status: number,
  body: string,
  apiKey: string,
  retryAfter: string | null,
): LlmError {
  const message = providerMessage(body, apiKey);
  if (status === 400 || status === 404 || status === 422)
    return new LlmError(400, "invalid_request_error", `provider ${provider}: ${message}`, {
      code: "provider_rejected_request",
    });
  if (status === 401 || status === 403)
    return new LlmError(
      502,
      "upstream_error",
      `the gateway's credentials for provider ${provider} were refused (HTTP ${status})`,
      {
        code: "provider_auth_failed",
      },
    );
  if (status === 429) {
    const headers: Record<string, string> =
      retryAfter && /^\d{1,6}$/.test(retryAfter.trim()) ? { "retry-after": retryAfter.trim() } : {};
    return new LlmError(429, "rate_limit_exceeded", `provider ${provider} is rate limiting the gateway: ${message}`, {
      code: "provider_rate_limited",
      headers,
    });
  }
  if (status === 413)
    return new LlmError(413, "request_too_large", `provider ${provider}: ${message}`, {
      code: "provider_request_too_large",
    });
  return new LlmError(502, "upstream_error", `provider ${provider} failed (HTTP ${status}): ${message}`, {
    code: "provider_error",
  });
}

/** The client's error for a provider request that got no answer: 504 on the provider timeout, 502 otherwise. */
export function providerFailure(provider: string, timeoutMs: number, timedOut: boolean): LlmError {
  if (timedOut)
    return new LlmError(504, "timeout_error", `provider ${provider} did not answer within ${timeoutMs} ms`, {
      code: "provider_timeout",
    });
  return new LlmError(502, "upstream_error", `provider ${provider} could not be reached`, {
    code: "provider_unreachable",
  });
}
