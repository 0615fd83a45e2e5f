/**
 * Compiles a glob where `*` matches any run of characters (and nothing else is special) into a RegExp. "Any" includes
 * line terminators (`\n`, `\r`, U+2028, U+2029), hence the `s` flag: without it an exclude glob would miss a name with
 * a line break in it, and a listed glob would deny one it matches as documented.
 */
export function globToRegExp(glob: string): RegExp {
  const escaped = glob.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${escaped.join(".*")}$`, "s");
}

/** A name filter from include/exclude globs: included (all when no include list) and not excluded. */
export function nameFilter(
  filter: { include?: readonly string[] | undefined; exclude?: readonly string[] | undefined } | undefined,
): (name: string) => boolean {
  const include = filter?.include?.map(globToRegExp);
  const exclude = filter?.exclude?.map(globToRegExp) ?? [];
  return (name) =>
    (include === undefined || include.some((re) => re.test(name))) && !exclude.some((re) => re.test(name));
}
