import { createParser, type EventSourceParser } from "eventsource-parser";
import { GatewayError, JsonRpcErrorCode } from "../../errors";
import { exceedsJsonDepth } from "../../jsonrpc/json-depth";
import type { Logger } from "../../logging";
import { replyFormat } from "../../routing/reply-format";
import { MAX_REPLY_DEPTH } from "../../routing/reply-message";
import { isJson, type Json } from "../../routing/result-uris";
import { MAX_REPLY_BYTES, readLimited, type StreamingReply } from "../../upstream/upstream-http";
import { upstreamFailure } from "../../upstream/upstream-failure";

/** Receives an upstream reply's JSON-RPC messages in order, then its end (with the failure, if it failed). */
export interface MessageSink {
  message(message: Json): void;
  end(failure?: GatewayError): void;
}

function badReply(server: string, detail: string): GatewayError {
  return new GatewayError(
    JsonRpcErrorCode.UpstreamUnavailable,
    `server "${server}" sent an unusable reply: ${detail}`,
    {
      httpStatus: 502,
    },
  );
}

/**
 * Reads a routed call's reply as JSON-RPC messages, as the MCP SDK client reads it: the content-type classified by
 * the client's own rules (replyFormat), the body decoded as WHATWG UTF-8, an SSE body parsed with `eventsource-parser`
 * (the client's parser). Events that are not JSON are skipped (the client skips them too); a message nested deeper
 * than the gateway rewrites, an event or JSON body over {@link MAX_REPLY_BYTES}, an unreadable content-type or a
 * broken connection ends the reply with a failure. The body flows as it arrives, also while nobody waits on it, and
 * an idle timer (off by default) bounds the silence between chunks.
 */
export class UpstreamMessages {
  private ended = false;
  private idleTimer: NodeJS.Timeout | undefined;
  private idleMs = 0;

  constructor(
    private readonly reply: StreamingReply,
    private readonly server: { readonly name: string; readonly url: string },
    private readonly sink: MessageSink,
    private readonly logger?: Logger,
  ) {
    const format = replyFormat(reply.headers);
    if (format.unreadable !== undefined) {
      this.fail(badReply(server.name, format.unreadable));
    } else if (format.kind === "sse") {
      this.readSse();
    } else {
      void this.readJson();
    }
  }

  /** Arms (ms > 0) or disarms (0) the idle timer: past `ms` without a chunk, the reply fails with a timeout. */
  idle(ms: number): void {
    this.idleMs = ms;
    this.touch();
  }

  /** Stops reading and drops the connection (no more messages, no end). */
  close(): void {
    this.ended = true;
    clearTimeout(this.idleTimer);
    this.reply.body.destroy();
  }

  private touch(): void {
    clearTimeout(this.idleTimer);
    if (this.idleMs <= 0 || this.ended) return;
    this.idleTimer = setTimeout(() => {
      const error = new GatewayError(
        JsonRpcErrorCode.UpstreamTimeout,
        `server "${this.server.name}" sent nothing for ${this.idleMs} ms (limits.streamIdleTimeout)`,
        { httpStatus: 504 },
      );
      this.fail(error);
    }, this.idleMs);
    this.idleTimer.unref();
  }

  private readSse(): void {
    const decoder = new TextDecoder("utf-8");
    const parser: EventSourceParser = createParser({
      onEvent: (event) => {
        if (event.data.length > MAX_REPLY_BYTES) throw badReply(this.server.name, "an event is too large");
        this.deliver(event.data);
      },
      onError: (error) => {
        if (error.type === "max-buffer-size-exceeded") throw badReply(this.server.name, "an event is too large");
      },
      maxBufferSize: MAX_REPLY_BYTES,
    });
    const feed = (text: string): void => {
      try {
        parser.feed(text);
      } catch (error: unknown) {
        this.fail(GatewayError.from(error));
      }
    };
    const body = this.reply.body;
    body.on("data", (chunk: Buffer) => {
      this.touch();
      if (!this.ended) feed(decoder.decode(chunk, { stream: true }));
    });
    body.once("end", () => {
      feed(decoder.decode());
      this.finish();
    });
    body.once("error", (error: unknown) => this.fail(upstreamFailure(this.server, error, this.idleMs, this.logger)));
  }

  private async readJson(): Promise<void> {
    try {
      const bytes = await readLimited(this.reply.body, MAX_REPLY_BYTES);
      const text = new TextDecoder("utf-8").decode(bytes);
      if (text.trim() !== "") this.deliver(text);
      this.finish();
    } catch (error: unknown) {
      this.fail(upstreamFailure(this.server, error, this.idleMs, this.logger));
    }
  }

  private deliver(data: string): void {
    if (this.ended) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      return;
    }
    if (exceedsJsonDepth(parsed, MAX_REPLY_DEPTH)) {
      this.fail(badReply(this.server.name, `a message is nested deeper than ${MAX_REPLY_DEPTH} levels`));
      return;
    }
    for (const message of Array.isArray(parsed) ? parsed : [parsed]) {
      if (isJson(message) && !this.ended) this.sink.message(message);
    }
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.idleTimer);
    this.sink.end();
  }

  private fail(error: GatewayError): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.idleTimer);
    this.reply.body.destroy();
    this.sink.end(error);
  }
}
