/**
 * Own-key lookups for anything keyed by client or config data (methods, names, URIs, header names, policy names).
 *
 * A plain object literal inherits from `Object.prototype`: `table["constructor"]` is `Object`, `table["toString"]` a
 * function, and an assignment to `table["__proto__"]` replaces the prototype instead of storing a value. A client that
 * picks the key would reach those. Tables the gateway builds are therefore `Map`s or null-prototype records, and
 * records it did not build are read with {@link lookupOwn}. The lint config forbids the two shapes that invite the
 * bug (a `Record<string, …>` variable initialised with an object literal, and `key in record` with a variable key).
 */

/** A new record without a prototype: no key inherits a value, and `__proto__` is an ordinary own key. */
export function nullRecord<T>(entries?: Iterable<readonly [string, T]>): Record<string, T> {
  const record = Object.create(null) as Record<string, T>;
  if (entries) for (const [key, value] of entries) record[key] = value;
  return record;
}

/** A frozen lookup table without a prototype, written as an object literal: `lookupTable({ s: 1000, m: 60_000 })`. */
export function lookupTable<T>(entries: Readonly<Record<string, T>>): Readonly<Record<string, T>> {
  return Object.freeze(nullRecord(Object.entries(entries)));
}

/** The value `record` holds under `key` itself; never one inherited from its prototype (`constructor`, `toString`). */
export function lookupOwn<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Every name a lookup by client data must not resolve through the prototype: `Object.prototype`'s and `__proto__`. */
export const PROTOTYPE_KEYS: readonly string[] = Object.freeze([
  ...new Set([...Object.getOwnPropertyNames(Object.prototype), "__proto__"]),
]);
