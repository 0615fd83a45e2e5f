import { createParser, type EventSourceMessage } from "eventsource-parser";
import { LlmError, providerFailure, providerStatusError, type LlmProviderConfig } from "@mcp-gateway/core";

/** One request to a provider: bounded by the provider's timeout and cancelled when the client goes away. */
export class ProviderCall {
  private readonly timeout: AbortSignal;
  readonly signal: AbortSignal;

  constructor(
    readonly provider: LlmProviderConfig,
    clientGone: AbortSignal,
  ) {
    this.timeout = AbortSignal.timeout(provider.timeout);
    this.signal = AbortSignal.any([this.timeout, clientGone]);
  }

  /** The error for a failure while sending or reading: a timeout is a 504, anything else a 502. */
  failure(error: unknown): LlmError {
    if (error instanceof LlmError) return error;
    return providerFailure(this.provider.name, this.provider.timeout, this.timeout.aborted);
  }

  /** POSTs `body` to `<baseUrl><path>`; an error status becomes the client's {@link LlmError}. */
  async post(path: string, body: unknown): Promise<Response> {
    const { provider } = this;
    let response: Response;
    try {
      response = await fetch(`${provider.baseUrl.replace(/\/+$/, "")}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${provider.apiKey}` },
        body: JSON.stringify(body),
        signal: this.signal,
      });
    } catch (error: unknown) {
      throw this.failure(error);
    }
    if (response.ok) return response;
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
    const response = await this.post(path, body);
    try {
      return (await response.json()) as Record<string, unknown>;
    } catch (error: unknown) {
      if (this.signal.aborted) throw this.failure(error);
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
    const response = await this.post(path, body);
    const events: EventSourceMessage[] = [];
    const parser = createParser({ onEvent: (event) => events.push(event) });
    const decoder = new TextDecoder();
    const reader = response.body?.getReader();
    for (;;) {
      let chunk: { done: boolean; value?: Uint8Array } | undefined;
      try {
        chunk = await reader?.read();
      } catch (error: unknown) {
        throw this.failure(error);
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
