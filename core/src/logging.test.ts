import { createLogger, type LogLevel } from "./logging";
import { REDACTED, scrubText } from "./log-redaction";

function capture(level: LogLevel = "debug") {
  const lines: string[] = [];
  const logger = createLogger({ level, sink: { write: (line: string) => lines.push(line) } });
  return { logger, lines, parsed: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

const SECRET = "s3cret-Value-42";

describe("createLogger", () => {
  it("writes one JSON line with level, ISO time, msg and fields", () => {
    const { logger, parsed } = capture();
    logger.child({ component: "test" }).info("hello", { server: "a" });
    expect(parsed()).toEqual([
      {
        level: "info",
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as string,
        msg: "hello",
        component: "test",
        server: "a",
      },
    ]);
  });

  it("drops lines below its level without reading their fields", () => {
    const { logger, lines } = capture("info");
    const fields = {
      get server(): string {
        throw new Error("read a field of a disabled line");
      },
    };
    logger.debug("routing decision", fields);
    expect(lines).toEqual([]);
    expect(logger.enabled("debug")).toBe(false);
    expect(logger.enabled("info")).toBe(true);
  });

  it("writes debug lines at level debug", () => {
    const { logger, parsed } = capture("debug");
    logger.debug("routing decision", { server: "a" });
    expect(parsed()).toMatchObject([{ level: "debug", msg: "routing decision", server: "a" }]);
  });

  it.each([
    ["authorization", { authorization: `Bearer ${SECRET}` }],
    ["x-api-key", { "x-api-key": SECRET }],
    ["cookie", { request: { cookie: `sid=${SECRET}` } }],
    ["tokens", { a: { b: { tokens: [SECRET] } } }],
    ["apiKey", { consumer: { apiKey: SECRET } }],
    ["password", { store: { options: { password: SECRET } } }],
    ["secret", { sessions: { secret: SECRET } }],
    ["an upstream's headers", { upstream: { name: "a", headers: { "x-custom": SECRET } } }],
    ["headers 4 levels deep", { a: { b: { c: { headers: { h: SECRET } } } } }],
  ])("never writes a secret: %s", (_name, fields) => {
    const { logger, lines } = capture();
    logger.info("line", fields);
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain(SECRET);
    expect(lines[0]).toContain(REDACTED);
  });

  it("never writes a secret in a child's fields", () => {
    const { logger, lines } = capture();
    logger.child({ authorization: SECRET, upstream: { headers: { a: SECRET } } }).warn("line");
    expect(lines[0]).not.toContain(SECRET);
  });

  it("writes an error as name, message and causes, scrubbing credentials from their text", () => {
    const { logger, parsed, lines } = capture();
    const root = Object.assign(new Error(`connect to redis://:${SECRET}@10.0.0.1:6379 failed`), {
      code: "ECONNREFUSED",
    });
    const middle = new Error(`upstream said: Authorization: Bearer ${SECRET}`, { cause: root });
    logger.error("call failed", { error: new TypeError(`fetch https://h/mcp?token=${SECRET}&x=1`, { cause: middle }) });
    expect(lines[0]).not.toContain(SECRET);
    expect(parsed()[0]).toMatchObject({
      error: {
        name: "TypeError",
        message: `fetch https://h/mcp?token=${REDACTED}&x=1`,
        cause: {
          name: "Error",
          cause: { code: "ECONNREFUSED", message: `connect to redis://${REDACTED}@10.0.0.1:6379 failed` },
        },
      },
    });
    expect(lines[0]).not.toContain("stack");
  });

  it("scrubs credentials from string fields (errors passed as String(error))", () => {
    const { logger, lines } = capture();
    logger.warn("unavailable", { error: `Error: 401 for x-api-key: ${SECRET}` });
    expect(lines[0]).not.toContain(SECRET);
  });
});

describe("scrubText", () => {
  it.each([
    [`https://user:${SECRET}@host/path`, `https://${REDACTED}@host/path`],
    [`Basic ${SECRET}, realm`, `Basic ${REDACTED}, realm`],
    [`GET /x?api_key=${SECRET}`, `GET /x?api_key=${REDACTED}`],
    [`{"password":"${SECRET}"}`, `{"password":"${REDACTED}"}`],
    ["nothing to hide: server a", "nothing to hide: server a"],
  ])("%s", (text, scrubbed) => {
    expect(scrubText(text)).toBe(scrubbed);
  });
});
