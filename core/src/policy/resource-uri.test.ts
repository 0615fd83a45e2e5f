import { checkResourceUri } from "./resource-uri";

describe("checkResourceUri refuses what URL parsers strip or reinterpret", () => {
  it.each([
    ["tab inside a dot segment", "fs://host/public/.\t./private/key", /control character U\+0009/],
    ["tab before a dot segment", "fs://host/public/\t../private/key", /control character U\+0009/],
    ["tab after a dot segment", "fs://host/public/..\t/private/key", /control character U\+0009/],
    ["CR", "fs://host/public/.\r./private/key", /U\+000D/],
    ["LF", "fs://host/public/.\n./private/key", /U\+000A/],
    ["NUL", "fs://host/public/key\u0000.txt", /U\+0000/],
    ["DEL", "fs://host/public/key\u007f", /U\+007F/],
    ["tab in the host", "fs://ho\tst/public/x", /U\+0009/],
    ["NEL (U+0085)", "fs://host/public/x\u0085", /C1 control character U\+0085/],
    ["line separator", "fs://host/public/x\u2028", /U\+2028/],
    ["soft hyphen (IDNA drops it from hosts)", "http://exa\u00admple.com/public/x", /U\+00AD/],
    ["zero-width space", "fs://host/public/\u200b../x", /U\+200B/],
    ["byte-order mark", "\ufefffs://host/public/x", /U\+FEFF/],
    ["unpaired surrogate", "fs://host/public/\ud800", /unpaired surrogate/],
    ["leading space", " fs://host/public/x", /space/],
    ["trailing space", "fs://host/public/x ", /space/],
    ["backslash separator (special scheme)", "http://host/public/..\\private/key", /backslash/],
    ["backslash (non-special scheme)", "fs://host/public/..\\private/key", /backslash/],
    ["encoded dot segment", "fs://host/public/%2e%2e/private/key", /percent-encoded dot/],
    ["half-encoded dot segment", "fs://host/public/.%2E/private/key", /percent-encoded dot/],
    ["encoded slash", "fs://host/public/..%2fprivate/key", /percent-encoded separator/],
    ["encoded backslash", "fs://host/public/..%5Cprivate/key", /percent-encoded separator/],
    ["encoded NUL", "fs://host/public/key%00.txt", /percent-encoded control/],
    ["plain dot-dot segment", "fs://host/public/../private/key", /dot segment/],
    ["trailing dot segment", "fs://host/public/..", /dot segment/],
    ["single dot segment", "fs://host/./private/key", /dot segment/],
    ["dot segment without a host", "fs:/public/../private", /dot segment/],
    ["dot segment in an opaque path", "urn:a/../b", /dot segment/],
    ["no scheme", "public/key", /WHATWG URL parser/],
    ["bad host", "http://exa mple.com/x", /WHATWG URL parser/],
  ])("refuses a %s", (_label, uri, problem) => {
    const checked = checkResourceUri(uri);
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.problem).toMatch(problem);
  });

  it.each([
    ["fs://host/public/readme", "fs://host/public/readme"],
    ["weather://cities", "weather://cities"],
    ["file:///srv/public/a.txt", "file:///srv/public/a.txt"],
    ["fs://host/public/x?path=../y#../z", "fs://host/public/x?path=../y#../z"],
    ["fs://host/public/a b", "fs://host/public/a%20b"],
    ["FS://host/public/x", "fs://host/public/x"],
    ["https://example.com", "https://example.com/"],
    ["http://example.com:80/x", "http://example.com/x"],
    ["fs://host/public/\u00fc..", "fs://host/public/%C3%BC.."],
  ])("accepts %j and gives its normalized form", (uri, normalized) => {
    expect(checkResourceUri(uri)).toEqual({ ok: true, normalized });
  });
});
