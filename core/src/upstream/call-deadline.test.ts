import { callDeadline } from "./call-deadline";

describe("callDeadline", () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it("aborts both signals with a TimeoutError once the time is up", () => {
    const deadline = callDeadline(100, new AbortController().signal);
    jest.advanceTimersByTime(100);
    expect(deadline.signal.aborted).toBe(true);
    expect(deadline.bound.aborted).toBe(true);
    expect((deadline.bound.reason as DOMException).name).toBe("TimeoutError");
  });

  it("aborts the joined signal with the caller's reason when the caller aborts first", () => {
    const caller = new AbortController();
    const deadline = callDeadline(100, caller.signal);
    const gone = new Error("client went away");
    caller.abort(gone);
    expect(deadline.bound.reason).toBe(gone);
    expect(deadline.signal.aborted).toBe(false);
  });

  it("joins a caller's signal that was aborted already", () => {
    const caller = new AbortController();
    caller.abort(new Error("gone"));
    expect(callDeadline(100, caller.signal).bound.aborted).toBe(true);
  });

  it("fires nothing once cleared: no timer left behind a call whose headers came", () => {
    const caller = new AbortController();
    const deadline = callDeadline(100, caller.signal);
    deadline.clear();
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(1_000);
    caller.abort();
    expect(deadline.signal.aborted).toBe(false);
    expect(deadline.bound.aborted).toBe(false);
  });

  it("uses the deadline itself when there is no caller's signal", () => {
    const deadline = callDeadline(100);
    expect(deadline.bound).toBe(deadline.signal);
  });

  describe("race", () => {
    it("rejects with a TimeoutError once the time is up", async () => {
      const deadline = callDeadline(100, new AbortController().signal);
      const raced = deadline.race(new Promise<never>(() => undefined));
      jest.advanceTimersByTime(100);
      await expect(raced).rejects.toMatchObject({ name: "TimeoutError" });
    });

    it("rejects with the caller's reason when the caller aborts first, and at once when it had", async () => {
      const caller = new AbortController();
      const deadline = callDeadline(100, caller.signal);
      const raced = deadline.race(new Promise<never>(() => undefined));
      const gone = new Error("client went away");
      caller.abort(gone);
      jest.advanceTimersByTime(100);
      await expect(raced).rejects.toBe(gone);
      await expect(deadline.race(Promise.resolve(1))).rejects.toBe(gone);
      expect(deadline.bound.reason).toBe(gone);
    });

    it("answers what the promise does within the time, with no AbortController made", async () => {
      const made = { count: 0 };
      const Original = globalThis.AbortController;
      globalThis.AbortController = class Counted extends Original {
        constructor() {
          super();
          made.count += 1;
        }
      };
      try {
        const caller = new Original();
        const deadline = callDeadline(100, caller.signal);
        await expect(deadline.race(Promise.resolve("headers"))).resolves.toBe("headers");
        await expect(deadline.race(Promise.reject(new Error("refused")))).rejects.toThrow("refused");
        deadline.clear();
        expect(made.count).toBe(0);
      } finally {
        globalThis.AbortController = Original;
      }
    });
  });

  it("makes its signals already aborted when they are first read after the deadline fired", () => {
    const deadline = callDeadline(100, new AbortController().signal);
    jest.advanceTimersByTime(100);
    expect((deadline.signal.reason as DOMException).name).toBe("TimeoutError");
    expect((deadline.bound.reason as DOMException).name).toBe("TimeoutError");
  });
});
