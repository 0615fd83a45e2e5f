import { Backoff } from "./backoff";

describe("Backoff", () => {
  it("doubles from the initial delay on each crash in a row, up to the maximum", () => {
    const backoff = new Backoff(100, 1_000);
    expect([0, 0, 0, 0, 0, 0].map(() => backoff.next(10))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });

  it("starts over after a run that lasted the stable time", () => {
    const backoff = new Backoff(100, 1_000, 5_000);
    backoff.next(0);
    backoff.next(0);
    expect(backoff.next(4_999)).toBe(400);
    expect(backoff.next(5_000)).toBe(100);
    expect(backoff.next(1)).toBe(200);
  });

  it("stays at the maximum however long the series", () => {
    const backoff = new Backoff(1, 30_000);
    for (let i = 0; i < 100; i++) backoff.next(0);
    expect(backoff.next(0)).toBe(30_000);
  });
});
