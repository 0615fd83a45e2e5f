import type fc from "fast-check";

/**
 * One property of the fuzz suite. Each module under `test/src/fuzz/properties/` exports `fuzzCases: FuzzCase[]`;
 * `npm run fuzz` runs every case with many runs, `npm test` runs the same cases seeded with few.
 */
export interface FuzzCase {
  /** What the property claims, e.g. "policy allows a URI only if its WHATWG-normalized form is under the pattern". */
  readonly name: string;
  /** Builds the property (sync or async); called once per run of the suite. */
  readonly property: () => fc.IRawProperty<unknown[]>;
  /** Relative cost: the runner gives a case `runs / weight` runs (default 1); use it for slow async cases. */
  readonly weight?: number;
}
