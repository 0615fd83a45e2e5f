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
});
