import { lookupOwn, lookupTable, nullRecord, PROTOTYPE_KEYS } from "./own-keys";

describe("PROTOTYPE_KEYS", () => {
  it("names every Object.prototype property and __proto__", () => {
    expect(PROTOTYPE_KEYS).toEqual(expect.arrayContaining(["constructor", "toString", "hasOwnProperty", "__proto__"]));
    for (const name of Object.getOwnPropertyNames(Object.prototype)) expect(PROTOTYPE_KEYS).toContain(name);
  });
});

describe("lookupOwn", () => {
  it.each(PROTOTYPE_KEYS)("finds nothing under %j in a plain object literal", (key) => {
    expect(lookupOwn({ ping: 1 }, key)).toBeUndefined();
  });

  it("finds own keys, including one named after a prototype member", () => {
    const parsed = JSON.parse('{"constructor": 1, "__proto__": 2, "ping": 3}') as Record<string, number>;
    expect([lookupOwn(parsed, "constructor"), lookupOwn(parsed, "__proto__"), lookupOwn(parsed, "ping")]).toEqual([
      1, 2, 3,
    ]);
  });
});

describe("nullRecord", () => {
  it.each(PROTOTYPE_KEYS)("inherits nothing under %j", (key) => {
    expect(nullRecord<string>()[key]).toBeUndefined();
  });

  it("stores __proto__ as an own key from entries and by assignment", () => {
    const record = nullRecord<string>([["__proto__", "a"]]);
    expect(Object.keys(record)).toEqual(["__proto__"]);
    record["constructor"] = "b";
    expect(JSON.stringify(record)).toBe('{"__proto__":"a","constructor":"b"}');
    expect(Object.getPrototypeOf(record)).toBeNull();
  });
});

describe("lookupTable", () => {
  const table = lookupTable({ s: 1000, m: 60_000 });

  it("holds the literal's entries, frozen", () => {
    expect([table["s"], table["m"], Object.keys(table)]).toEqual([1000, 60_000, ["s", "m"]]);
    expect(Object.isFrozen(table)).toBe(true);
  });

  it.each(PROTOTYPE_KEYS)("holds nothing under %j", (key) => {
    expect(table[key]).toBeUndefined();
  });
});
