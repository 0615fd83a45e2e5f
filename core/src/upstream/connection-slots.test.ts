import { ConnectionSlots } from "./connection-slots";

const never = (): AbortSignal => new AbortController().signal;

describe("ConnectionSlots", () => {
  it("grants slots at once up to the limit, per key", async () => {
    const slots = new ConnectionSlots(2);
    await slots.acquire("a", never());
    await slots.acquire("a", never());
    await slots.acquire("b", never());
    expect([slots.inUse("a"), slots.inUse("b"), slots.queued("a")]).toEqual([2, 1, 0]);
  });

  it("queues past the limit and hands freed slots to the oldest waiter", async () => {
    const slots = new ConnectionSlots(1);
    const release = await slots.acquire("a", never());
    const order: string[] = [];
    const first = Promise.resolve(slots.acquire("a", never())).then((r) => (order.push("first"), r));
    const second = Promise.resolve(slots.acquire("a", never())).then((r) => (order.push("second"), r));
    expect(slots.queued("a")).toBe(2);
    release();
    release(); // a second call of the same release gives nothing back
    (await first)();
    (await second)();
    expect(order).toEqual(["first", "second"]);
    expect([slots.inUse("a"), slots.queued("a")]).toEqual([0, 0]);
  });

  it("rejects a waiter with its signal's reason when the signal aborts, and forgets it", async () => {
    const slots = new ConnectionSlots(1);
    const release = await slots.acquire("a", never());
    const controller = new AbortController();
    const waiting = slots.acquire("a", controller.signal);
    controller.abort(new Error("deadline"));
    await expect(waiting).rejects.toThrow("deadline");
    expect(slots.queued("a")).toBe(0);
    release();
    expect(slots.inUse("a")).toBe(0);
  });

  it("rejects at once when the signal has already aborted", async () => {
    const slots = new ConnectionSlots(1);
    await expect(slots.acquire("a", AbortSignal.abort(new Error("gone")))).rejects.toThrow("gone");
    expect(slots.inUse("a")).toBe(0);
  });

  it("tryAcquire takes a free slot without a signal, and none past the limit or behind a waiter", async () => {
    const slots = new ConnectionSlots(1);
    const first = slots.tryAcquire("a");
    expect(first).toBeDefined();
    expect(slots.tryAcquire("a")).toBeUndefined();
    const waiter = slots.acquire("a", new AbortController().signal);
    first?.();
    const second = await waiter;
    expect(slots.inUse("a")).toBe(1);
    second();
    expect(slots.inUse("a")).toBe(0);
    expect(slots.tryAcquire("a")).toBeDefined();
  });
});
