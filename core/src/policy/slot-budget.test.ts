import { GatewayError, JsonRpcErrorCode } from "../errors";
import { SlotBudget, takeSlots, type SlotClaim } from "./slot-budget";

const consumer = (limit: number): SlotClaim => ({ key: "consumer:alice", limit, what: 'streams of consumer "alice"' });
const session = (id: string, limit: number): SlotClaim => ({ key: `session:${id}`, limit, what: "streams of session" });

describe("SlotBudget", () => {
  it("gives slots up to each limit and refuses the next, naming the full claim", () => {
    const budget = new SlotBudget();
    expect(typeof budget.tryTake([consumer(2), session("a", 1)])).toBe("function");
    expect(budget.tryTake([consumer(2), session("a", 1)])).toEqual(session("a", 1));
    expect(typeof budget.tryTake([consumer(2), session("b", 1)])).toBe("function");
    expect(budget.tryTake([consumer(2), session("c", 1)])).toEqual(consumer(2));
    expect(budget.held("consumer:alice")).toBe(2);
  });

  it("takes nothing when one claim is full, and a release gives each slot back once", () => {
    const budget = new SlotBudget();
    const release = budget.tryTake([consumer(1), session("a", 5)]);
    expect(budget.tryTake([consumer(1), session("a", 5)])).toEqual(consumer(1));
    expect(budget.held("session:a")).toBe(1);
    if (typeof release !== "function") throw new Error("expected a slot");
    release();
    release();
    expect(budget.held("consumer:alice")).toBe(0);
    expect(budget.held("session:a")).toBe(0);
  });

  it("keeps keys that look like Object.prototype members apart from the prototype", () => {
    const budget = new SlotBudget();
    for (const key of ["__proto__", "constructor", "toString", "hasOwnProperty"]) {
      expect(budget.held(key)).toBe(0);
      expect(typeof budget.tryTake([{ key, limit: 1, what: key }])).toBe("function");
      expect(budget.tryTake([{ key, limit: 1, what: key }])).toMatchObject({ key });
    }
  });
});

describe("takeSlots", () => {
  it("throws 429 with JSON-RPC -31006, a Retry-After and the limit in the message", () => {
    const budget = new SlotBudget();
    takeSlots(budget, [consumer(1)]);
    let thrown: unknown;
    try {
      takeSlots(budget, [consumer(1)], 7);
    } catch (error: unknown) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(GatewayError);
    const error = thrown as GatewayError;
    expect(error).toMatchObject({ code: JsonRpcErrorCode.RateLimited, httpStatus: 429, id: 7 });
    expect(error.headers["retry-after"]).toBe("5");
    expect(error.message).toBe('too many streams of consumer "alice" (limit 1); close one or retry later');
  });
});
