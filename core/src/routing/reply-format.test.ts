import { replyFormat } from "./reply-format";

describe("replyFormat", () => {
  it.each([
    ["application/json", "json"],
    ["Application/JSON", "json"],
    ["application/json; charset=utf-8", "json"],
    ['application/json; profile="text/event-stream"', "json"],
    ["  APPLICATION/json ;  charset=UTF-8", "json"],
    ["text/event-stream", "sse"],
    ["TEXT/Event-Stream; charset=utf-8", "sse"],
    ['text/event-stream; x="a;b, application/json"', "sse"],
  ])("reads %j as %s, unambiguously", (header, kind) => {
    expect(replyFormat({ "content-type": header })).toEqual({ kind, encoded: false });
  });

  it.each([
    ["text/plain; a=application/json", "neither application/json nor text/event-stream"],
    ["application/json-seq", "neither application/json nor text/event-stream"],
    ["text/event-streamx", "neither application/json nor text/event-stream"],
    ["application/json, text/event-stream", "neither application/json nor text/event-stream"],
    ["", "neither application/json nor text/event-stream"],
    [undefined, "neither application/json nor text/event-stream"],
    ["application/json;", "malformed content-type"],
    ["application/json; charset=", "malformed content-type"],
    ["text/event-stream; a=b c", "malformed content-type"],
  ])("finds %j unreadable under sanitization (%s)", (header, reason) => {
    expect(replyFormat({ "content-type": header }).unreadable).toContain(reason);
  });

  it("keeps the SDK client's lenient reading of a malformed header as the kind", () => {
    expect(replyFormat({ "content-type": "application/json;" }).kind).toBe("json");
  });

  it.each(["gzip", "br", "deflate", "identity, gzip"])("finds a %s-encoded reply unreadable", (encoding) => {
    const format = replyFormat({ "content-type": "application/json", "content-encoding": encoding });
    expect(format).toEqual({ kind: "json", encoded: true, unreadable: expect.stringContaining("content-encoded") });
  });

  it("reads a reply declared with the identity coding", () => {
    expect(replyFormat({ "content-type": "text/event-stream", "content-encoding": "Identity" })).toEqual({
      kind: "sse",
      encoded: false,
    });
  });
});
