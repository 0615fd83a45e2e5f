/** A resource URI as the upstream will read it, or why the gateway refuses to pass it on. */
export type ResourceUriCheck = { ok: true; normalized: string } | { ok: false; problem: string };

const codePoint = (char: string): string =>
  `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;

/**
 * Characters refused anywhere in a resource URI, with why. URL parsers strip tabs and newlines anywhere and C0 controls
 * and spaces at the ends (so `.\t.` becomes a `..` segment the policy never saw), read `\` as `/` in special schemes,
 * and IDNA drops invisible characters from hosts; C1 controls, line separators and unpaired surrogates change under
 * re-encoding. None belongs in a resource URI.
 */
const CHARACTER_RULES: readonly [RegExp, (found: string) => string][] = [
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  [/[\u0000-\u001f\u007f]/u, (c) => `contains the control character ${codePoint(c)}, which URL parsers strip`],
  [/[\u0080-\u009f]/u, (c) => `contains the C1 control character ${codePoint(c)}`],
  [
    /[\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/u,
    (c) => `contains the invisible or line-separating character ${codePoint(c)}`,
  ],
  [/\p{Cs}/u, (c) => `contains an unpaired surrogate ${codePoint(c)}`],
  [/^ | $/u, () => "starts or ends with a space, which URL parsers strip"],
  [/\\/u, () => "contains a backslash, which URL parsers read as a path separator in http(s), file and ws(s) URIs"],
  [/%2e/iu, () => "contains a percent-encoded dot (%2e), which URL parsers resolve as a dot segment"],
  [/%2f|%5c/iu, () => "contains a percent-encoded separator (%2f or %5c)"],
  [/%[01][0-9a-f]|%7f/iu, () => "contains a percent-encoded control character"],
];

// A `.` or `..` segment anywhere before the query or fragment (WHATWG resolves them in hierarchical paths; RFC 3986
// resolvers in any path): refused outright rather than resolved, so no upstream can read it differently.
const DOT_SEGMENT_RE = /(^|\/)\.\.?(\/|$)/u;

/**
 * Checks a resource URI exactly as the upstream receives it (after the gateway removed its server prefix) and returns
 * its WHATWG-normalized form (`new URL(uri).href`, what the MCP SDK servers look resources up by). Refused: characters
 * parsers strip or reinterpret, encoded dots, separators and controls, dot segments, URIs the WHATWG parser rejects, and
 * URIs whose normalized form is not stable. A URI may still differ from its normalized form in benign ways (scheme case,
 * a default port, `%20` for a space); the policy must then allow both forms.
 */
export function checkResourceUri(uri: string): ResourceUriCheck {
  for (const [pattern, describe] of CHARACTER_RULES) {
    const found = pattern.exec(uri);
    if (found) return { ok: false, problem: describe(found[0]) };
  }
  const beforeQuery = uri.split(/[?#]/u, 1)[0] ?? "";
  if (DOT_SEGMENT_RE.test(beforeQuery)) return { ok: false, problem: "contains a dot segment (. or ..)" };
  let normalized: string;
  try {
    normalized = new URL(uri).href;
  } catch {
    return { ok: false, problem: "is not an absolute URI the WHATWG URL parser accepts" };
  }
  if (DOT_SEGMENT_RE.test(normalized.split(/[?#]/u, 1)[0] ?? "") || new URL(normalized).href !== normalized) {
    return { ok: false, problem: "does not have a stable normalized form" };
  }
  return { ok: true, normalized };
}
