/** The deadline of one upstream call's wait for its response headers, and that deadline joined with the caller's. */
export interface CallDeadline {
  /** Aborts (TimeoutError, as `AbortSignal.timeout()`) once the time is up. */
  readonly signal: AbortSignal;
  /** Aborts on the deadline or when the caller's signal does, with that one's reason. */
  readonly bound: AbortSignal;
  /** Stops the clock and lets go of the caller's signal: nothing fires after the headers came. */
  clear(): void;
}

/**
 * A deadline of `timeoutMs` joined with `outer`. `AbortSignal.timeout()` and `AbortSignal.any()` would do the same
 * but cannot be stopped: every call would leave a timer that fires (a DOMException) long after its reply, and a
 * composite signal the runtime keeps tracking; this one is cleared as soon as the headers are in.
 */
export function callDeadline(timeoutMs: number, outer?: AbortSignal): CallDeadline {
  const deadline = new AbortController();
  const bound = outer ? new AbortController() : deadline;
  const onOuterAbort = (): void => bound.abort(outer?.reason);
  const timer = setTimeout(() => {
    const reason = new DOMException("The operation was aborted due to timeout", "TimeoutError");
    deadline.abort(reason);
    if (bound !== deadline) bound.abort(reason);
  }, timeoutMs);
  if (outer?.aborted) onOuterAbort();
  else outer?.addEventListener("abort", onOuterAbort, { once: true });
  return {
    signal: deadline.signal,
    bound: bound.signal,
    clear: () => {
      clearTimeout(timer);
      outer?.removeEventListener("abort", onOuterAbort);
    },
  };
}
