import { connectionError, describeError, redactUrl, scrubPassword, describeErrorChain } from "./connection-url";

describe("redactUrl", () => {
  it.each([
    ["redis://127.0.0.1:6379", "redis://127.0.0.1:6379"],
    ["redis://:pw@host:6379/0", "redis://:***@host:6379/0"],
    ["redis://user:s3cret@redis.example:6379/2", "redis://user:***@redis.example:6379/2"],
    ["postgres://u:pw@host/db?sslmode=require", "postgres://u:***@host/db?sslmode=require"],
    ["postgres://u@db/x", "postgres://u@db/x"],
    ["redis://user:pa/ss@word@host:6379", "<invalid URL>"],
    ["not a url", "<invalid URL>"],
  ])("shows %s as %s", (url, shown) => {
    expect(redactUrl(url)).toBe(shown);
  });
});

describe("scrubPassword", () => {
  it("replaces the raw and the percent-decoded password", () => {
    const url = "postgres://u:p%40ss@db/x";
    expect(scrubPassword("auth failed for p%40ss (p@ss)", url)).toBe("auth failed for *** (***)");
  });

  it("hides an unparseable URL quoted in the message", () => {
    const url = "redis://u:pa/ss@word@h";
    expect(scrubPassword(`bad url ${url}`, url)).toBe("bad url <invalid URL>");
  });
});

describe("describeError", () => {
  it("joins the messages of an AggregateError without its own", () => {
    expect(describeError(new AggregateError([new Error("a"), new Error("b")]))).toBe("a; b");
  });

  it("falls back to the error code", () => {
    expect(describeError(Object.assign(new Error(""), { code: "ECONNREFUSED" }))).toBe("ECONNREFUSED");
  });
});

describe("connectionError", () => {
  it("names the redacted URL and never the password", () => {
    const url = "redis://admin:s3cret@127.0.0.1:1/0";
    const error = connectionError("cannot open the store", url, new Error("WRONGPASS s3cret"));
    expect(error.message).toBe("cannot open the store at redis://admin:***@127.0.0.1:1/0: WRONGPASS ***");
    expect(error.cause).toBeUndefined();
  });
});

describe("describeErrorChain", () => {
  it("appends each cause the text does not already contain", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9101"), { code: "ECONNREFUSED" });
    const fetchFailed = new TypeError("fetch failed", { cause: refused });
    const probe = new Error("Version negotiation probe failed: fetch failed", { cause: fetchFailed });
    expect(describeErrorChain(probe)).toBe(
      "Version negotiation probe failed: fetch failed: connect ECONNREFUSED 127.0.0.1:9101",
    );
  });

  it("stops after the given depth and on a cause that is not an object", () => {
    let error: unknown = "innermost";
    for (let i = 0; i < 10; i++) error = new Error(`level ${i}`, { cause: error });
    expect(describeErrorChain(error, 2)).toBe("level 9: level 8: level 7");
    expect(describeErrorChain(new Error("outer", { cause: "plain text" }))).toBe("outer: plain text");
  });
});
