import { open, stat, unlink } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { errorCode } from "./error-fields";

/** Options of {@link withFileLock}. */
export interface FileLockOptions {
  /** Give up waiting after this long (ms). */
  timeoutMs?: number;
  /** A lock file older than this (ms) is left over from a crashed process and is broken. */
  staleMs?: number;
}

async function breakIfStale(lockPath: string, staleMs: number): Promise<void> {
  try {
    const info = await stat(lockPath);
    if (Date.now() - info.mtimeMs > staleMs) await unlink(lockPath);
  } catch (error: unknown) {
    // Released (or broken by someone else) between our open and stat: simply retry.
    if (errorCode(error) !== "ENOENT") throw error;
  }
}

async function acquire(lockPath: string, timeoutMs: number, staleMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt += 1) {
    try {
      // O_EXCL creation is atomic on local file systems: exactly one process gets the lock.
      const handle = await open(lockPath, "wx", 0o600);
      await handle.writeFile(String(process.pid));
      await handle.close();
      return;
    } catch (error: unknown) {
      if (errorCode(error) !== "EEXIST") throw error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for lock ${lockPath}`);
    await breakIfStale(lockPath, staleMs);
    await sleep(Math.min(5 + attempt * 5, 50) + Math.random() * 5);
  }
}

/**
 * Runs `fn` holding an exclusive lock file (`<path>` created with O_EXCL) so read-modify-write cycles on a shared
 * file are serialized across processes, not only within this one.
 */
export async function withFileLock<T>(
  lockPath: string,
  fn: () => Promise<T>,
  options: FileLockOptions = {},
): Promise<T> {
  await acquire(lockPath, options.timeoutMs ?? 5000, options.staleMs ?? 10_000);
  try {
    return await fn();
  } finally {
    await unlink(lockPath).catch(() => undefined);
  }
}
