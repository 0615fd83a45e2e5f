import type { AuditEvent } from "./audit-event";
import { AuditLog, type AuditSink } from "./audit-log";

function event(n: number): AuditEvent {
  return {
    time: new Date(1_700_000_000_000 + n).toISOString(),
    consumer: "alice",
    session: "hs:0123456789abcdef",
    method: "tools/call",
    server: "weather",
    target: "weather_forecast",
    argsDigest: null,
    decision: "allowed",
    reason: null,
    upstreamStatus: 200,
    latencyMs: 1.5,
    requestId: String(n),
  };
}

const ids = (events: readonly AuditEvent[]): number[] => events.map((e) => Number(e.requestId));
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const tick = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `condition` (timers may run late on a loaded machine) and fails after two seconds. */
async function waitFor(condition: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 2_000; !condition(); await tick(5)) {
    if (Date.now() > deadline) throw new Error("condition not met within 2 s");
  }
}

/** Keeps every batch it is given. */
class MemorySink implements AuditSink {
  readonly batches: AuditEvent[][] = [];
  closed = false;
  constructor(readonly name = "memory") {}
  get events(): AuditEvent[] {
    return this.batches.flat();
  }
  write(batch: readonly AuditEvent[]): Promise<void> {
    this.batches.push([...batch]);
    return Promise.resolve();
  }
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

/** A sink whose writes hang until released, like a PostgreSQL that stopped answering. */
class StuckSink extends MemorySink {
  calls = 0;
  private release: (() => void) | undefined;
  private readonly released = new Promise<void>((resolve) => (this.release = resolve));
  constructor() {
    super("stuck");
  }
  override async write(batch: readonly AuditEvent[]): Promise<void> {
    this.calls++;
    await this.released;
    await super.write(batch);
  }
  unstick(): void {
    this.release?.();
  }
}

/** Fails its first `failures` writes. */
class FlakySink extends MemorySink {
  attempts = 0;
  constructor(private failures: number) {
    super("flaky");
  }
  override write(batch: readonly AuditEvent[]): Promise<void> {
    this.attempts++;
    if (this.failures-- > 0) return Promise.reject(new Error(`write ${this.attempts} failed`));
    return super.write(batch);
  }
}

describe("AuditLog", () => {
  it("writes every event, in order, in batches of at most batchSize", async () => {
    const sink = new MemorySink();
    const log = new AuditLog([sink], { batchSize: 7 });
    for (const n of range(1, 100)) log.record(event(n));
    await log.flush();
    expect(ids(sink.events)).toEqual(range(1, 100));
    expect(sink.batches.length).toBeGreaterThan(1);
    expect(Math.max(...sink.batches.map((b) => b.length))).toBeLessThanOrEqual(7);
    expect(log.stats()).toMatchObject({ queued: 0, written: 100, dropped: 0, failed: 0, oldestQueuedAgeMs: 0 });
    await log.close();
  });

  it("writes a partial batch once the flush interval has passed, without flush()", async () => {
    const sink = new MemorySink();
    const log = new AuditLog([sink], { flushIntervalMs: 10 });
    log.record(event(1));
    expect(sink.events).toEqual([]);
    await waitFor(() => sink.events.length === 1);
    expect(ids(sink.events)).toEqual([1]);
    await log.close();
  });

  it("returns from record() at once while the sink is stuck, and its stats show the backlog", async () => {
    const sink = new StuckSink();
    const log = new AuditLog([sink], { batchSize: 2, maxQueue: 5, flushIntervalMs: 1 });
    log.record(event(1));
    log.record(event(2));
    await waitFor(() => sink.calls === 1);
    const started = performance.now();
    for (const n of range(3, 12)) expect(log.record(event(n))).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(50);
    await tick(30);
    const stats = log.stats();
    expect(stats).toMatchObject({ queued: 2 + 5, written: 0, dropped: 5, failed: 0 });
    expect(stats.oldestQueuedAgeMs).toBeGreaterThanOrEqual(25);
    sink.unstick();
    await log.close();
    expect(ids(sink.events)).toEqual([1, 2, ...range(8, 12)]);
  });

  it("drops the oldest events when the queue is full, and counts them", async () => {
    const sink = new MemorySink();
    const log = new AuditLog([sink], { maxQueue: 3, flushIntervalMs: 60_000 });
    for (const n of range(1, 10)) log.record(event(n));
    expect(log.stats()).toMatchObject({ queued: 3, dropped: 7 });
    await log.flush();
    expect(ids(sink.events)).toEqual([8, 9, 10]);
    expect(log.stats()).toMatchObject({ queued: 0, written: 3, dropped: 7 });
    await log.close();
  });

  it("keeps a slow sink from holding back another", async () => {
    const stuck = new StuckSink();
    const fast = new MemorySink();
    const log = new AuditLog([stuck, fast], { flushIntervalMs: 1 });
    for (const n of range(1, 10)) log.record(event(n));
    await waitFor(() => fast.events.length === 10);
    expect(ids(fast.events)).toEqual(range(1, 10));
    const [stuckStats, fastStats] = log.stats().sinks;
    expect(stuckStats).toMatchObject({ name: "stuck", queued: 10, written: 0 });
    expect(fastStats).toMatchObject({ name: "memory", queued: 0, written: 10 });
    stuck.unstick();
    await log.close();
  });

  it("writes everything still queued on close, then closes the sinks", async () => {
    const sink = new MemorySink();
    const log = new AuditLog([sink], { flushIntervalMs: 60_000 });
    for (const n of range(1, 1000)) log.record(event(n));
    await log.close();
    expect(ids(sink.events)).toEqual(range(1, 1000));
    expect(sink.closed).toBe(true);
  });

  it("counts an event recorded after close as dropped", async () => {
    const sink = new MemorySink();
    const log = new AuditLog([sink]);
    await log.close();
    log.record(event(1));
    expect(log.stats()).toMatchObject({ written: 0, dropped: 1 });
    expect(sink.events).toEqual([]);
  });

  it("retries a failed write and succeeds without reporting", async () => {
    const sink = new FlakySink(2);
    const onError = jest.fn();
    const log = new AuditLog([sink], { retryDelaysMs: [1, 1], onError });
    log.record(event(1));
    await log.flush();
    expect(sink.attempts).toBe(3);
    expect(ids(sink.events)).toEqual([1]);
    expect(onError).not.toHaveBeenCalled();
    await log.close();
  });

  it("counts a batch as failed after its retries and reports it once", async () => {
    const sink = new FlakySink(3);
    const onError = jest.fn();
    const log = new AuditLog([sink], { retryDelaysMs: [1, 1], onError });
    log.record(event(1));
    log.record(event(2));
    await log.flush();
    expect(sink.attempts).toBe(3);
    expect(onError).toHaveBeenCalledTimes(1);
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ message: "write 3 failed" }), "flaky");
    expect(log.stats()).toMatchObject({ queued: 0, written: 0, failed: 2 });
    log.record(event(3));
    await log.flush();
    expect(ids(sink.events)).toEqual([3]);
    await log.close();
  });

  it("survives a sink that throws synchronously and an error handler that throws", async () => {
    const sink: AuditSink = {
      name: "broken",
      write: () => {
        throw new Error("boom");
      },
      close: () => Promise.reject(new Error("close failed")),
    };
    const onError = jest.fn((_error: unknown, _sink: string): void => {
      throw new Error("handler failed");
    });
    const log = new AuditLog([sink], { retryDelaysMs: [], onError });
    log.record(event(1));
    await log.close();
    expect(log.stats()).toMatchObject({ failed: 1 });
    expect(onError.mock.calls.map(([error]) => (error as Error).message)).toEqual(["boom", "close failed"]);
  });

  it.each([{ maxQueue: 0 }, { batchSize: 1.5 }, { flushIntervalMs: -1 }])("rejects the options %j", (options) => {
    expect(() => new AuditLog([], options)).toThrow(RangeError);
  });
});
