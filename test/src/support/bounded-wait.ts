import { setTimeout as delay } from "node:timers/promises";

const POLL_MS = 25;

/** Resolves with `promise`, or rejects naming `what` once `ms` have passed (the timer never outlives the wait). */
export async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  const timer = new AbortController();
  try {
    return await Promise.race([
      promise,
      delay(ms, undefined, { signal: timer.signal }).then(() => {
        throw new Error(`timed out after ${ms} ms waiting for ${what}`);
      }),
    ]);
  } finally {
    timer.abort();
  }
}

/** Resolves true as soon as `done()` holds, false once `ms` have passed: a bounded poll, never a bare sleep. */
export async function pollUntil(
  done: () => boolean | Promise<boolean>,
  ms: number,
  intervalMs = POLL_MS,
): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() >= deadline) return false;
    await delay(intervalMs);
  }
  return true;
}

/**
 * Runs `action` until `done()` holds after it (each attempt waits at most `attemptMs` for it), at most `totalMs` in all.
 * For effects whose delivery path opens asynchronously (a notification stream the peer drops messages on until it is
 * open): the first result, and whether `done()` ever held, are returned.
 */
export async function repeatUntil<T>(
  action: () => Promise<T>,
  done: () => boolean,
  { attemptMs, totalMs }: { attemptMs: number; totalMs: number },
): Promise<{ first: T; done: boolean }> {
  const deadline = Date.now() + totalMs;
  const first = await action();
  for (;;) {
    if (await pollUntil(done, Math.min(attemptMs, Math.max(0, deadline - Date.now())))) return { first, done: true };
    if (Date.now() >= deadline) return { first, done: false };
    await action();
  }
}
