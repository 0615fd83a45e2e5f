import fc from "fast-check";

/**
 * Names that resolve to something on a plain object although nobody defined them: every own property of
 * `Object.prototype` (`constructor`, `__proto__`, `toString`, `hasOwnProperty`, …) and `prototype`. A lookup keyed by
 * client data that is not an own-key lookup finds these.
 */
export const PROTOTYPE_NAMES: readonly string[] = [
  ...new Set([...Object.getOwnPropertyNames(Object.prototype), "__proto__", "prototype"]),
];

/** One of {@link PROTOTYPE_NAMES}. */
export const prototypeName = (): fc.Arbitrary<string> => fc.constantFrom(...PROTOTYPE_NAMES);

// Characters that parsers, terminals or people tend not to see, or drop: NUL, whitespace of every kind, zero-width
// and bidi controls, a BOM, C1 and DEL.
const INVISIBLE = [
  "\0",
  " ",
  "\t",
  "\n",
  "\r",
  "\v",
  "\f",
  "\u00a0",
  "\u200b",
  "\u200d",
  "\u2028",
  "\u202e",
  "\ufeff",
  "\x7f",
  "\x85",
];

// Latin letters and their look-alikes in other scripts (Cyrillic, Greek, fullwidth, mathematical, dotless i).
const CONFUSABLES: Readonly<Record<string, readonly string[]>> = {
  a: ["\u0430", "\u03b1", "\uff41"],
  c: ["\u0441", "\u217d"],
  e: ["\u0435", "\u0454"],
  i: ["\u0456", "\u0131", "\u2170"],
  o: ["\u043e", "\u03bf", "\u2134"],
  p: ["\u0440", "\u03c1"],
  s: ["\u0455", "\uff53"],
  x: ["\u0445", "\u00d7"],
  _: ["\uff3f", "\u2017"],
  "-": ["\u2010", "\u2212"],
  "/": ["\u2215", "\uff0f"],
  ".": ["\u2024", "\uff0e"],
};

const insertAt = (text: string, at: number, piece: string): string => text.slice(0, at) + piece + text.slice(at);

/**
 * A variant of `name` that a careless comparison could take for it: one letter's case flipped, an invisible
 * character inserted anywhere, a letter swapped for a confusable one, a character percent-encoded, or the Unicode
 * compatibility/decomposed form. Usually different from `name`; callers compare, never assume.
 */
export function lookAlike(name: string): fc.Arbitrary<string> {
  const position = fc.nat({ max: name.length });
  const flipCase = position.map((at) => {
    const char = name.charAt(at);
    const flipped = char === char.toUpperCase() ? char.toLowerCase() : char.toUpperCase();
    return name.slice(0, at) + flipped + name.slice(at + 1);
  });
  const invisible = fc.tuple(position, fc.constantFrom(...INVISIBLE)).map(([at, char]) => insertAt(name, at, char));
  const confusable = fc.tuple(position, fc.nat()).map(([at, pick]) => {
    const options = CONFUSABLES[name.charAt(at).toLowerCase()];
    if (!options || options.length === 0) return insertAt(name, at, "\u0301");
    return name.slice(0, at) + (options[pick % options.length] ?? "") + name.slice(at + 1);
  });
  const percent = position.map((at) => {
    const bytes = [...Buffer.from(name.charAt(at) || "\0")];
    return name.slice(0, at) + bytes.map((b) => `%${b.toString(16).padStart(2, "0")}`).join("") + name.slice(at + 1);
  });
  const normalized = fc.constantFrom("NFD", "NFKC", "NFKD").map((form) => `${name}\u00e9`.normalize(form));
  return fc.oneof(
    flipCase,
    invisible,
    confusable,
    percent,
    normalized,
    fc.constant(` ${name}`),
    fc.constant(`${name}\0`),
  );
}

/** A short name from a small alphabet, so that generated names and patterns collide often. */
export const shortName = (alphabet = "abc_-.xyAB"): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom(...alphabet), minLength: 1, maxLength: 8 });

/**
 * Text of any kind: ASCII-heavy but with the whole Unicode range, lone surrogates and the invisible characters
 * above mixed in, so UTF-8 encoding, escaping and normalization all get exercised.
 */
export const anyText = (maxLength = 24): fc.Arbitrary<string> =>
  fc.string({
    unit: fc.oneof(
      { weight: 6, arbitrary: fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 1 }) },
      { weight: 2, arbitrary: fc.string({ unit: "grapheme", minLength: 1, maxLength: 1 }) },
      { weight: 1, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }) },
      { weight: 1, arbitrary: fc.constantFrom(...INVISIBLE) },
    ),
    maxLength,
  });
