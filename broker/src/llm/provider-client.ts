import { createParser, type EventSourceMessage } from "eventsource-parser";
import { LlmError, providerFailure, providerStatusError, type LlmProviderConfig } from "@mcp-gateway/core";

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
    if (response.ok) return { response, signal, timedOut };
    const text = await response.text().catch(() => "");
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
    const { response, signal, timedOut } = await this.post(path, body);
    try {
      return (await response.json()) as Record<string, unknown>;
    } catch (error: unknown) {
      if (signal.aborted) throw this.failure(error, timedOut());
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
    const { response, timedOut } = await this.post(path, body);
    const events: EventSourceMessage[] = [];
    const parser = createParser({ onEvent: (event) => events.push(event) });
    const decoder = new TextDecoder();
    const reader = response.body?.getReader();
    for (;;) {
      let chunk: { done: boolean; value?: Uint8Array } | undefined;
      try {
        chunk = await reader?.read();
      } catch (error: unknown) {
        throw this.failure(error, timedOut());
      }
      if (!chunk || chunk.done) return;
      parser.feed(decoder.decode(chunk.value, { stream: true }));
      for (const event of events.splice(0)) await onEvent(event);
    }
  }

  /** The error for a provider stream the gateway cannot read (bad JSON) or that reports a failure itself. */
  streamError(detail: string): LlmError {
    return new LlmError(502, "upstream_error", `provider ${this.provider.name} failed the streamed answer: ${detail}`, {
      code: "provider_stream_error",
    });
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
