import { createParser, type EventSourceMessage } from "eventsource-parser";
import {
  LlmError,
  providerFailure,
  providerMessage,
  providerStatusError,
  type LlmProviderConfig,
} from "@mcp-gateway/core";

/**
 * Most bytes of one provider answer the gateway reads (a JSON body, or a whole stream): far above any real answer,
 * it bounds the memory a broken or hostile provider endpoint (an unterminated SSE line, a gigabyte of JSON) can take.
 */
export const MAX_PROVIDER_ANSWER_BYTES = 32 * 1024 * 1024;
/** Most bytes of a provider's error body read for its message (the message shown is cut far shorter). */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

/** One provider request in flight: its signal (its own timeout, or the client gone) and whether the timeout fired. */
interface Attempt {
  response: Response;
  signal: AbortSignal;
  timedOut(): boolean;
}

/**
 * The provider requests of one LLM request: each one bounded by the provider's timeout (a streamed answer included,
 * the tool calls between rounds not) and all cancelled when the client goes away.
 */
export class ProviderCall {
  constructor(
    readonly provider: LlmProviderConfig,
    private readonly clientGone: AbortSignal,
  ) {}

  /** The error for a failure while sending or reading: a timeout is a 504, anything else a 502. */
  private failure(error: unknown, timedOut: boolean): LlmError {
    if (error instanceof LlmError) return error;
    return providerFailure(this.provider.name, this.provider.timeout, timedOut);
  }

  /** POSTs `body` to `<baseUrl><path>` under a fresh timeout; an error status becomes the client's {@link LlmError}. */
  private async post(path: string, body: unknown): Promise<Attempt> {
    const { provider } = this;
    const timeout = AbortSignal.timeout(provider.timeout);
    const signal = AbortSignal.any([timeout, this.clientGone]);
    const timedOut = (): boolean => timeout.aborted;
    let response: Response;
    try {
      response = await fetch(`${provider.baseUrl.replace(/\/+$/, "")}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${provider.apiKey}` },
        body: JSON.stringify(body),
        signal,
      });
    } catch (error: unknown) {
      throw this.failure(error, timedOut());
    }
    const attempt = { response, signal, timedOut };
    if (response.ok) return attempt;
    const text = await this.read(attempt, MAX_ERROR_BODY_BYTES, false).catch(() => "");
    throw providerStatusError(
      provider.name,
      response.status,
      text,
      provider.apiKey,
      response.headers.get("retry-after"),
    );
  }

  /** POSTs `body` and reads the JSON answer. */
  async json(path: string, body: unknown): Promise<Record<string, unknown>> {
    const attempt = await this.post(path, body);
    const text = await this.read(attempt, MAX_PROVIDER_ANSWER_BYTES, true);
    try {
      return JSON.parse(text) as Record<string, unknown>;
    } catch (error: unknown) {
      if (attempt.signal.aborted) throw this.failure(error, attempt.timedOut());
      throw new LlmError(502, "upstream_error", `provider ${this.provider.name} sent a body that is not JSON`, {
        code: "provider_bad_response",
      });
    }
  }

  /** POSTs `body` and hands each server-sent event of the answer to `onEvent` as it arrives. */
  async stream(
    path: string,
    body: unknown,
    onEvent: (event: EventSourceMessage) => void | Promise<void>,
  ): Promise<void> {
    const attempt = await this.post(path, body);
    const events: EventSourceMessage[] = [];
    const parser = createParser({ onEvent: (event) => events.push(event) });
    const decoder = new TextDecoder();
    await this.chunks(attempt, MAX_PROVIDER_ANSWER_BYTES, async (chunk) => {
      parser.feed(decoder.decode(chunk, { stream: true }));
      for (const event of events.splice(0)) await onEvent(event);
    });
  }

  /** The body as text, at most `max` bytes: beyond it a 502 (`fail`) or the text so far. */
  private async read(attempt: Attempt, max: number, fail: boolean): Promise<string> {
    const decoder = new TextDecoder();
    let text = "";
    await this.chunks(attempt, max, (chunk) => void (text += decoder.decode(chunk, { stream: true })), fail);
    return text + decoder.decode();
  }

  /**
   * Hands each chunk of the body to `onChunk` until it ends, up to `max` bytes (then a 502, or just the end when not
   * `fail`); the body is cancelled whenever reading stops early (an error, the cap, a throwing `onChunk`), so no
   * provider connection outlives the round.
   */
  private async chunks(
    attempt: Attempt,
    max: number,
    onChunk: (chunk: Uint8Array) => void | Promise<void>,
    fail = true,
  ): Promise<void> {
    const reader = attempt.response.body?.getReader();
    if (!reader) return;
    let bytes = 0;
    try {
      for (;;) {
        let chunk: Awaited<ReturnType<typeof reader.read>>;
        try {
          chunk = await reader.read();
        } catch (error: unknown) {
          throw this.failure(error, attempt.timedOut());
        }
        if (chunk.done) return;
        bytes += chunk.value.byteLength;
        if (bytes > max) {
          if (!fail) return;
          throw new LlmError(502, "upstream_error", `provider ${this.provider.name} sent more than ${max} bytes`, {
            code: "provider_answer_too_large",
          });
        }
        await onChunk(chunk.value);
      }
    } finally {
      await reader.cancel().catch(() => undefined);
    }
  }

  /** The error for a provider stream the gateway cannot read (bad JSON) or that reports a failure itself. */
  streamError(detail: string): LlmError {
    // The detail may be the provider's own words: scrubbed of the key like an error body's message.
    const message = providerMessage(detail, this.provider.apiKey);
    return new LlmError(
      502,
      "upstream_error",
      `provider ${this.provider.name} failed the streamed answer: ${message}`,
      {
        code: "provider_stream_error",
      },
    );
  }

  /** One SSE event's JSON data; a 502 when it is not JSON. */
  parseEvent(event: EventSourceMessage): Record<string, unknown> {
    try {
      const data: unknown = JSON.parse(event.data);
      if (typeof data === "object" && data !== null && !Array.isArray(data)) return data as Record<string, unknown>;
    } catch {
      // reported below
    }
    throw this.streamError("an event is not a JSON object");
  }
}
