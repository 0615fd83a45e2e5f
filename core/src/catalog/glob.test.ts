import { globToRegExp, nameFilter } from "./glob";

// Labelled, since jest would print U+2028 and U+2029 as raw line breaks in the test names.
const LINE_BREAKS: [string, string][] = [
  ["LF", "\n"],
  ["CR", "\r"],
  ["CRLF", "\r\n"],
  ["U+2028", "\u2028"],
  ["U+2029", "\u2029"],
];

describe("globToRegExp", () => {
  it.each(LINE_BREAKS)("lets * match a line break (%s), as documented: any run of characters", (_label, lineBreak) => {
    expect(globToRegExp("weather_*").test(`weather_a${lineBreak}b`)).toBe(true);
    expect(globToRegExp("*_secret").test(`x${lineBreak}_secret`)).toBe(true);
    expect(globToRegExp("a*b").test(`a${lineBreak}b`)).toBe(true);
  });

  it.each(LINE_BREAKS)(
    "still matches the whole name only: a line break is not a name's end (%s)",
    (_label, lineBreak) => {
      expect(globToRegExp("weather_get").test(`weather_get${lineBreak}`)).toBe(false);
      expect(globToRegExp("weather_get").test(`${lineBreak}weather_get`)).toBe(false);
      expect(globToRegExp("a*b").test(`a${lineBreak}b${lineBreak}c`)).toBe(false);
    },
  );

  it("treats every character but * literally", () => {
    expect(globToRegExp("a.b").test("a\nb")).toBe(false);
    expect(globToRegExp("a.b").test("axb")).toBe(false);
    expect(globToRegExp("a?(b)").test("a?(b)")).toBe(true);
  });
});

describe("nameFilter", () => {
  it.each(LINE_BREAKS)("hides an excluded name with a line break in it (%s)", (_label, lineBreak) => {
    const allowed = nameFilter({ exclude: ["*secret*"] });
    expect(allowed(`read${lineBreak}secret`)).toBe(false);
    expect(allowed(`read_secret${lineBreak}`)).toBe(false);
    expect(allowed("read_public")).toBe(true);
  });

  it.each(LINE_BREAKS)("shows an included name with a line break in it (%s)", (_label, lineBreak) => {
    const allowed = nameFilter({ include: ["get_*"] });
    expect(allowed(`get_a${lineBreak}b`)).toBe(true);
    expect(allowed(`set${lineBreak}get_a`)).toBe(false);
  });
});
