/**
 * Exponential back-off for restarting a crashed process: `initialMs`, doubled on each crash in a row, at most `maxMs`;
 * a process that stayed up for `stableMs` (default: `maxMs`) counts as healthy again and starts the series over.
 */
export class Backoff {
  private failures = 0;

  constructor(
    private readonly initialMs: number,
    private readonly maxMs: number,
    private readonly stableMs: number = maxMs,
  ) {}

  /** The delay before the next start, given how long the last run lasted. */
  next(uptimeMs: number): number {
    if (uptimeMs >= this.stableMs) this.failures = 0;
    const delay = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.failures, 30));
    this.failures += 1;
    return delay;
  }
}
