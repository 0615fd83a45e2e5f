/**
 * Reference implementations the properties compare the gateway against, written for clarity rather than speed and
 * sharing no code with it.
 */

/**
 * Does `glob` match all of `name`, as docs/configuration.md documents globs: `*` matches any run of characters
 * (any UTF-16 code units, line breaks included), every other character only itself, case and all.
 */
export function globMatches(glob: string, name: string): boolean {
  // matches[j]: does the glob read so far match the first j units of the name?
  let matches: boolean[] = Array.from({ length: name.length + 1 }, (_, j) => j === 0);
  for (const char of glob.split("")) {
    const next = new Array<boolean>(name.length + 1).fill(false);
    for (let j = 0; j <= name.length; j++) {
      if (char === "*") next[j] = (matches[j] ?? false) || (j > 0 && (next[j - 1] ?? false));
      else next[j] = j > 0 && (matches[j - 1] ?? false) && name[j - 1] === char;
    }
    matches = next;
  }
  return matches[name.length] ?? false;
}

/** Does any of `globs` match `name` (see {@link globMatches})? */
export const anyGlobMatches = (globs: readonly string[], name: string): boolean =>
  globs.some((glob) => globMatches(glob, name));
