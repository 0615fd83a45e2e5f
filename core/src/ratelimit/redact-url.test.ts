import { redactUrl } from "./redact-url";

describe("redactUrl", () => {
  it.each([
    ["redis://127.0.0.1:6379", "redis://127.0.0.1:6379"],
    ["redis://user:s3cret@redis.example:6379/2", "redis://redis.example:6379/2"],
    ["rediss://:s3cret@redis.example", "rediss://redis.example"],
    ["redis://user:pa/ss@word@host:6379", "redis://host:6379"],
    ["memroy", "memroy"],
  ])("shows %p as %p", (url, shown) => {
    expect(redactUrl(url)).toBe(shown);
  });
});
