/** OpenAI's error `type`s the gateway answers with. */
export type LlmErrorType =
  | "invalid_request_error"
  | "permission_error"
  | "authentication_error"
  | "not_found_error"
  | "rate_limit_exceeded"
  | "tokens"
  | "request_too_large"
  | "server_error"
  | "upstream_error"
  | "timeout_error";

/** Optional parts of an {@link LlmError}. */
export interface LlmErrorOptions {
  param?: string | null;
  code?: string | null;
  headers?: Record<string, string>;
  cause?: unknown;
}

/** A refusal or failure of an LLM request, sent in OpenAI's error shape with its HTTP status. */
export class LlmError extends Error {
  readonly param: string | null;
  readonly code: string | null;
  readonly headers: Record<string, string>;

  constructor(
    readonly status: number,
    readonly type: LlmErrorType,
    message: string,
    options: LlmErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "LlmError";
    this.param = options.param ?? null;
    this.code = options.code ?? null;
    this.headers = options.headers ?? {};
  }

  /** The error as OpenAI writes it: `{error: {message, type, param, code}}`. */
  toBody(): { error: { message: string; type: string; param: string | null; code: string | null } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** 400 invalid_request_error naming the offending parameter. */
export function invalidRequest(message: string, param: string | null = null): LlmError {
  return new LlmError(400, "invalid_request_error", message, { param });
}
