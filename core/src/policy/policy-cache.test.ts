import type { PolicyConfig } from "../config/security-schema";
import { PolicyCache } from "./policy-cache";

const config = (tools: string[]): PolicyConfig => ({ tools, prompts: [], resources: [] });
const policies: Readonly<Record<string, PolicyConfig>> = { weather: config(["weather_*"]), all: config(["*"]) };

describe("PolicyCache", () => {
  it("compiles a policy once per policies object", () => {
    const cache = new PolicyCache();
    expect(cache.get(policies, "weather")).toBe(cache.get(policies, "weather"));
  });

  it("compiles the named policy", () => {
    const weather = new PolicyCache().get(policies, "weather");
    expect([
      weather.name,
      weather.allows("tool", "weather_x", "weather"),
      weather.allows("tool", "notes_x", "notes"),
    ]).toEqual(["weather", true, false]);
  });

  it("recompiles after a reload replaced the policies object", () => {
    const cache = new PolicyCache();
    const before = cache.get(policies, "weather");
    const after = cache.get({ weather: config(["notes_*"]) }, "weather");
    expect(after).not.toBe(before);
    expect([after.allows("tool", "weather_x", "weather"), after.allows("tool", "notes_x", "notes")]).toEqual([
      false,
      true,
    ]);
  });

  it("keeps one compiled policy per tools claim", () => {
    const cache = new PolicyCache();
    const narrowed = cache.get(policies, "all", ["weather_get_forecast"]);
    expect(cache.get(policies, "all", ["weather_get_forecast"])).toBe(narrowed);
    expect(cache.get(policies, "all")).not.toBe(narrowed);
    expect(cache.get(policies, "all").allows("tool", "notes_x", "notes")).toBe(true);
    expect(narrowed.allows("tool", "notes_x", "notes")).toBe(false);
  });

  it("denies everything for a policy name that does not exist", () => {
    const gone = new PolicyCache().get(policies, "removed");
    expect([
      gone.allowsServer("weather"),
      gone.allows("tool", "weather_x", "weather"),
      gone.allows("prompt", "weather_p", "weather"),
      gone.allows("resource", "weather+r://", "weather"),
    ]).toEqual([false, false, false, false]);
  });

  // BUG: policy-cache.ts reads `policies[name]`, which for these names is an Object.prototype member (a function),
  // so the AccessPolicy constructor throws a TypeError instead of denying everything.
  it.each(["toString", "constructor", "hasOwnProperty", "__proto__"])(
    "denies everything for the inherited object member %s, which is no policy",
    (name) => {
      const cache = new PolicyCache();
      expect(() => cache.get(policies, name)).not.toThrow();
      expect(cache.get(policies, name).allows("tool", "weather_x", "weather")).toBe(false);
    },
  );

  // BUG: policy-cache.ts joins the claim with NUL for its cache key, so ["a", "b"] and ["a\0b"] share an entry.
  it("does not confuse a claim with one tool containing NUL for a claim of two tools", () => {
    const cache = new PolicyCache();
    cache.get(policies, "all", ["weather_a", "weather_b"]);
    expect(cache.get(policies, "all", ["weather_a\u0000weather_b"]).allows("tool", "weather_a", "weather")).toBe(false);
  });

  it("still compiles correctly after its working set overflowed", () => {
    const cache = new PolicyCache();
    for (let i = 0; i < 1001; i++) cache.get(policies, "all", [`tool_${i}`]);
    const first = cache.get(policies, "all", ["tool_0"]);
    expect([first.allows("tool", "tool_0", "s"), first.allows("tool", "tool_1", "s")]).toEqual([true, false]);
  });
});
