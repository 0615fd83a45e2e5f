/** The deadline of one upstream call's wait for its response headers, and that deadline joined with the caller's. */
export interface CallDeadline {
  /** Aborts (TimeoutError, as `AbortSignal.timeout()`) once the time is up. */
  readonly signal: AbortSignal;
  /** Aborts on the deadline or when the caller's signal does, with that one's reason. */
  readonly bound: AbortSignal;
  /** Waits for `pending` but rejects, with `bound`'s reason, as soon as `bound` aborts (without making `bound`). */
  race<T>(pending: Promise<T>): Promise<T>;
  /** Stops the clock and lets go of the caller's signal: nothing fires after the headers came. */
  clear(): void;
}

const timeoutError = (): DOMException => new DOMException("The operation was aborted due to timeout", "TimeoutError");

/**
 * A deadline of `timeoutMs` joined with `outer`. `AbortSignal.timeout()` and `AbortSignal.any()` would do the same
 * but cannot be stopped: every call would leave a timer that fires (a DOMException) long after its reply, and a
 * composite signal the runtime keeps tracking; this one is cleared as soon as the headers are in. Its signals are
 * made only when read (an AbortController and its signal cost microseconds, and a call that gets a connection at once
 * never needs them): {@link CallDeadline.race} waits on the deadline itself.
 */
export function callDeadline(timeoutMs: number, outer?: AbortSignal): CallDeadline {
  let expired: DOMException | undefined;
  // The joined deadline's reason once it has fired: the caller's or the timeout's, whichever came first.
  let boundReason: { reason: unknown } | undefined;
  let deadline: AbortController | undefined;
  let bound: AbortController | undefined;
  const waiters = new Set<(reason: unknown) => void>();
  const fire = (reason: unknown): void => {
    if (boundReason) return;
    boundReason = { reason };
    bound?.abort(reason);
    for (const waiter of waiters) waiter(reason);
    waiters.clear();
  };
  const onOuterAbort = (): void => fire(outer?.reason);
  const timer = setTimeout(() => {
    expired = timeoutError();
    deadline?.abort(expired);
    fire(expired);
  }, timeoutMs);
  if (outer?.aborted) onOuterAbort();
  else outer?.addEventListener("abort", onOuterAbort, { once: true });
  const signalOf = (): AbortSignal => {
    deadline ??= new AbortController();
    if (expired !== undefined && !deadline.signal.aborted) deadline.abort(expired);
    return deadline.signal;
  };
  return {
    get signal(): AbortSignal {
      return signalOf();
    },
    get bound(): AbortSignal {
      if (!outer) return signalOf();
      if (!bound) {
        bound = new AbortController();
        if (boundReason) bound.abort(boundReason.reason);
      }
      return bound.signal;
    },
    race: <T>(pending: Promise<T>): Promise<T> =>
      boundReason ? Promise.reject(boundReason.reason as Error) : raceWaiting(pending, waiters),
    clear: () => {
      clearTimeout(timer);
      waiters.clear();
      outer?.removeEventListener("abort", onOuterAbort);
    },
  };
}

/** `pending`, or a rejection with the reason a waiter in `waiters` is called with first. */
function raceWaiting<T>(pending: Promise<T>, waiters: Set<(reason: unknown) => void>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const waiter = (reason: unknown): void => reject(reason as Error);
    waiters.add(waiter);
    pending.then(
      (value) => {
        waiters.delete(waiter);
        resolve(value);
      },
      (error: unknown) => {
        waiters.delete(waiter);
        reject(error as Error);
      },
    );
  });
}
