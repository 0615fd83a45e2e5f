import { parseCliArgs } from "./cli-args";

describe("parseCliArgs", () => {
  it.each([
    [[], { host: "127.0.0.1", port: 9000 }],
    [["--port", "0"], { host: "127.0.0.1", port: 0 }],
    [["--port=8123"], { host: "127.0.0.1", port: 8123 }],
    [["--host", "::1", "--port", "1"], { host: "::1", port: 1 }],
    [["--allowed-host", "envoy", "--allowed-host", "localhost"], { port: 9000, allowedHosts: ["envoy", "localhost"] }],
  ])("parses %j", (argv, expected) => {
    expect(parseCliArgs(argv, 9000)).toEqual({ host: "127.0.0.1", ...expected });
  });

  it.each([
    [["--port", "abc"], /must be a whole number/],
    [["--port", ""], /must be a whole number/],
    [["--port", "70000"], /at most 65535/],
    [["--host", ""], /host/],
    [["--verbose"], /Unknown option/],
    [["extra"], /positional/],
  ])("rejects %j", (argv, message) => {
    expect(() => parseCliArgs(argv, 9000)).toThrow(message);
  });

  it("returns a frozen object", () => {
    expect(Object.isFrozen(parseCliArgs([], 1))).toBe(true);
  });
});
