import { RoundMeter } from "./round-meter";
import { readUsage } from "./usage";

describe("RoundMeter", () => {
  it("reserves part of the input up front and settles at the provider's usage afterwards", () => {
    const meter = new RoundMeter(600);
    expect(meter.upfront).toBe(100);
    expect(meter.settle({ input: 180, output: 20, total: 200 })).toEqual({ input: 180, output: 20 });
  });

  it("never settles input below the upfront part, even when the provider reports less", () => {
    expect(new RoundMeter(600).settle({ input: 50, output: 5, total: 55 })).toEqual({ input: 100, output: 5 });
  });

  it("estimates a round the provider reported no usage for from what was sent and seen", () => {
    const meter = new RoundMeter(600);
    meter.saw("x".repeat(40));
    meter.saw(undefined);
    expect(meter.settle(readUsage(undefined))).toEqual({ input: 150, output: 10 });
    expect(meter.settle(undefined)).toEqual({ input: 150, output: 10 });
  });
});

describe("readUsage", () => {
  it("keeps a provider's counts integral and bounded (a charge never fails on them)", () => {
    expect(readUsage({ prompt_tokens: 1.5, completion_tokens: 1e300 })).toEqual({
      input: 2,
      output: 2 ** 40,
      total: 2 + 2 ** 40,
    });
  });
});
