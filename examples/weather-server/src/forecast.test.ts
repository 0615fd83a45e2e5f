import { alertsFor, fnv1a, forecastFor } from "./forecast";

describe("fnv1a", () => {
  it.each([
    ["", 0x811c9dc5],
    ["a", 0xe40c292c],
    ["foobar", 0xbf9cf968],
  ])("hashes %j like the reference FNV-1a", (text, expected) => {
    expect(fnv1a(text)).toBe(expected);
  });
});

describe("forecastFor", () => {
  it("is deterministic and ignores case and surrounding spaces", () => {
    expect(forecastFor("  oslo ", 5).days).toEqual(forecastFor("Oslo", 5).days);
  });

  it.each([1, 3, 7])("returns %i days numbered from 1", (days) => {
    expect(forecastFor("Lisbon", days).days.map((d) => d.day)).toEqual(Array.from({ length: days }, (_, i) => i + 1));
  });

  it("keeps every low below its high and precipitation within 0..100", () => {
    for (const day of forecastFor("Nairobi", 7).days) {
      expect(day.lowC).toBeLessThan(day.highC);
      expect(day.precipitationPercent).toBeGreaterThanOrEqual(0);
      expect(day.precipitationPercent).toBeLessThanOrEqual(100);
    }
  });

  it("differs between cities", () => {
    expect(forecastFor("Oslo", 7).days).not.toEqual(forecastFor("Tokyo", 7).days);
  });
});

describe("alertsFor", () => {
  it("returns zero to two alerts naming the region, the same every time", () => {
    const alerts = alertsFor("North Sea coast");
    expect(alerts.length).toBeLessThanOrEqual(2);
    expect(alertsFor("north sea coast ")).toEqual(alerts.map((a) => ({ ...a, headline: expect.any(String) })));
    for (const alert of alerts) expect(alert.headline).toContain("North Sea coast");
  });
});
