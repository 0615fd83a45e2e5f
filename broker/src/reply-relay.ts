import type { Readable, Writable } from "node:stream";
import type { ReplyRewriter } from "@mcp-gateway/core";

/** What the relay does with each chunk it passes on (the audit's outcome scanner, see ReplyOutcomeScanner). */
export type ChunkWatcher = (chunk: Buffer) => void;

/** What reads the bytes the client is sent, after the rewriter (the request span's content capture). */
export interface SentWatcher {
  push(chunk: Buffer): void;
  /** The reply was sent whole. */
  end(): void;
}

/** A reply the client went away from (or that failed) before it was sent whole; what pipeline() reports as such. */
export class RelayCutShort extends Error {
  constructor() {
    super("the response closed before the reply was sent whole");
    this.name = "RelayCutShort";
  }
}

/**
 * Streams an upstream reply to the client with backpressure, through `rewriter` when there is one: one data listener,
 * no Transform and no `stream.pipeline` per reply (pipeline allocates an AbortController and aborts it on every normal
 * end, a DOMException per call). Resolves once the response has finished; rejects, destroying both sides, when the
 * upstream body fails, the rewriter throws, or the response closes first (the client went away). `watch` sees the
 * upstream's chunks, `sent` what the client is sent.
 */
export function relayReply(
  source: Readable,
  target: Writable,
  rewriter: ReplyRewriter | undefined,
  watch?: ChunkWatcher,
  sent?: SentWatcher,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (target.destroyed) {
      source.destroy();
      return reject(new RelayCutShort());
    }
    let settled = false;
    const settle = (error?: unknown): void => {
      if (settled) return;
      settled = true;
      source.off("data", onData).off("end", onEnd).off("error", fail);
      target.off("drain", onDrain).off("finish", onFinish).off("close", onClose).off("error", fail);
      if (error === undefined) return resolve();
      source.destroy();
      target.destroy();
      reject(error instanceof Error ? error : new RelayCutShort());
    };
    const fail = (error: unknown): void => settle(error ?? new RelayCutShort());
    const send = (bytes: Buffer): void => {
      if (bytes.length === 0) return;
      sent?.push(bytes);
      if (!target.write(bytes)) source.pause();
    };
    const onData = (chunk: Buffer): void => {
      watch?.(chunk);
      try {
        send(rewriter ? rewriter.push(chunk) : chunk);
      } catch (error: unknown) {
        fail(error);
      }
    };
    const onEnd = (): void => {
      try {
        if (rewriter) send(rewriter.end());
        sent?.end();
        target.end();
      } catch (error: unknown) {
        fail(error);
      }
    };
    const onDrain = (): void => void source.resume();
    const onFinish = (): void => settle();
    const onClose = (): void => {
      if (!target.writableFinished) fail(new RelayCutShort());
    };
    source.on("end", onEnd).on("error", fail);
    target.on("drain", onDrain).on("finish", onFinish).on("close", onClose).on("error", fail);
    source.on("data", onData);
  });
}
