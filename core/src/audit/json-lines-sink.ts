import { once } from "node:events";
import { mkdir, open, rename, rm, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";
import type { Writable } from "node:stream";
import type { AuditEvent } from "./audit-event";
import type { AuditSink } from "./audit-log";

/**
 * One JSON line for `event`, fields in a fixed order and nothing but the {@link AuditEvent} fields (`actor` and
 * `endpoint` when set: admin events have no endpoint; `llm` on LLM requests' events only).
 */
export function auditLine(event: AuditEvent): string {
  const line = {
    time: event.time,
    ...(event.actor === undefined ? {} : { actor: event.actor }),
    consumer: event.consumer,
    session: event.session,
    method: event.method,
    server: event.server,
    target: event.target,
    argsDigest: event.argsDigest,
    decision: event.decision,
    reason: event.reason,
    upstreamStatus: event.upstreamStatus,
    latencyMs: event.latencyMs,
    requestId: event.requestId,
    clientAddress: event.clientAddress ?? null,
    userAgent: event.userAgent ?? null,
    outcome: event.outcome ?? null,
    ...(event.endpoint === undefined ? {} : { endpoint: event.endpoint }),
    ...(event.llm === undefined ? {} : { llm: event.llm }),
  };
  return `${JSON.stringify(line)}\n`;
}

/** Writes one JSON line per event to a stream (process.stdout by default), waiting for 'drain' under backpressure. */
export class StdoutAuditSink implements AuditSink {
  readonly name = "stdout";
  private failure: unknown;
  // Without a listener a stream error (EPIPE on a closed stdout) would crash the process; it fails the next write.
  private readonly onStreamError = (error: unknown): void => {
    this.failure = error;
  };

  /** A sink writing to `stream`, which it never ends (the caller owns it). */
  constructor(private readonly stream: Writable = process.stdout) {
    stream.on("error", this.onStreamError);
  }

  /** Writes the batch as one chunk; resolves once the stream accepts more. */
  async write(batch: readonly AuditEvent[]): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    if (this.stream.destroyed || this.stream.writableEnded) throw new Error("audit stream is closed");
    if (this.stream.writableNeedDrain) await once(this.stream, "drain");
    if (!this.stream.write(batch.map(auditLine).join(""))) await once(this.stream, "drain");
  }

  /** Detaches from the stream. */
  close(): Promise<void> {
    this.stream.off("error", this.onStreamError);
    return Promise.resolve();
  }
}

/** Options of {@link FileAuditSink}. */
export interface FileAuditSinkOptions {
  path: string;
  /** Size at which the file is rotated (default 10 MiB); a single longer line gets a file of its own. */
  maxBytes?: number;
  /** Rotated files kept beside the current one: `path.1` (newest) to `path.<maxFiles>` (default 5). */
  maxFiles?: number;
}

/** Appends JSON lines to a file (mode 0600, directory created), rotating by size: path → path.1 → path.2 … */
export class FileAuditSink implements AuditSink {
  readonly name = "file";
  private readonly path: string;
  private readonly maxBytes: number;
  private readonly maxFiles: number;
  private handle: FileHandle | undefined;
  private size = 0;

  /** A sink for `options.path`; the file is opened on the first write. */
  constructor(options: FileAuditSinkOptions) {
    this.path = options.path;
    this.maxBytes = options.maxBytes ?? 10 * 1024 * 1024;
    this.maxFiles = options.maxFiles ?? 5;
    if (!(this.maxBytes >= 1)) throw new RangeError(`audit file maxBytes must be >= 1: ${this.maxBytes}`);
    if (!Number.isInteger(this.maxFiles) || this.maxFiles < 0) {
      throw new RangeError(`audit file maxFiles must be an integer >= 0: ${this.maxFiles}`);
    }
  }

  /** Appends the batch, rotating whenever the next line would take the file past maxBytes. */
  async write(batch: readonly AuditEvent[]): Promise<void> {
    try {
      let handle = await this.current();
      let chunk = "";
      let chunkBytes = 0;
      for (const event of batch) {
        const line = auditLine(event);
        const bytes = Buffer.byteLength(line);
        if (this.size + chunkBytes + bytes > this.maxBytes && this.size + chunkBytes > 0) {
          await this.append(handle, chunk, chunkBytes);
          await this.rotate();
          handle = await this.current();
          chunk = "";
          chunkBytes = 0;
        }
        chunk += line;
        chunkBytes += bytes;
      }
      await this.append(handle, chunk, chunkBytes);
    } catch (error) {
      // Reopen (and re-measure) on the retry: the size we track may be off after a partial write.
      await this.close();
      throw error;
    }
  }

  /** Closes the file. */
  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close().catch(() => undefined);
  }

  private async current(): Promise<FileHandle> {
    if (this.handle) return this.handle;
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const handle = await open(this.path, "a", 0o600);
    try {
      this.size = (await handle.stat()).size;
    } catch (error) {
      await handle.close();
      throw error;
    }
    this.handle = handle;
    return handle;
  }

  private async append(handle: FileHandle, chunk: string, bytes: number): Promise<void> {
    if (bytes === 0) return;
    await handle.appendFile(chunk);
    this.size += bytes;
  }

  private async rotate(): Promise<void> {
    await this.close();
    if (this.maxFiles === 0) {
      await rm(this.path, { force: true });
      return;
    }
    for (let i = this.maxFiles - 1; i >= 1; i--) await renameIfPresent(`${this.path}.${i}`, `${this.path}.${i + 1}`);
    await renameIfPresent(this.path, `${this.path}.1`);
  }
}

async function renameIfPresent(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
}
