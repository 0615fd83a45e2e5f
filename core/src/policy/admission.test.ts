import { JsonRpcErrorCode } from "../errors";
import type { PolicyConfig } from "../config/security-schema";
import { AccessPolicy } from "./access-policy";
import { authorize, checkArguments, sessionOwner, type Admission, type Caller } from "./admission";

const caller = (config: Partial<PolicyConfig> = {}): Caller => ({
  identity: { consumer: "alice", policy: "weather-only", method: "api-key" },
  policy: new AccessPolicy("weather-only", { tools: [], prompts: [], resources: [], ...config }),
});

const call = (overrides: Partial<Admission> = {}): Admission => ({
  method: "tools/call",
  kind: "tool",
  exposed: "weather_get_forecast",
  server: "weather",
  id: 7,
  routedBytes: 100,
  args: { city: "Oslo" },
  session: "s1",
  ...overrides,
});

describe("sessionOwner", () => {
  it("is the consumer of an authenticated caller", () => {
    expect(sessionOwner(caller())).toBe("alice");
  });

  it('is "" for the anonymous caller', () => {
    const anonymous: Caller = {
      identity: { consumer: "anonymous", policy: "open", method: "anonymous" },
      policy: AccessPolicy.open(),
    };
    expect(sessionOwner(anonymous)).toBe("");
  });
});

describe("authorize", () => {
  const alice = caller({ servers: ["weather"], tools: ["weather_*"], prompts: ["weather_*"], resources: ["*"] });

  it("allows what the policy allows", () => {
    expect(authorize(alice, call())).toBeUndefined();
  });

  it("refuses a tool with 403 naming the consumer and the tool, echoing the request id", () => {
    const error = authorize(alice, call({ exposed: "notes_add_note", server: "notes" }));
    expect(error).toMatchObject({
      code: JsonRpcErrorCode.Forbidden,
      httpStatus: 403,
      id: 7,
      message: 'consumer "alice" may not call tool "notes_add_note"',
      data: { tool: "notes_add_note" },
    });
  });

  it.each([
    ["prompts/get", "prompt", "notes_summary", 'consumer "alice" may not get prompt "notes_summary"'],
    ["resources/read", "resource", "notes+x://a", 'consumer "alice" may not read resource "notes+x://a"'],
    ["resources/subscribe", "resource", "notes+x://a", 'consumer "alice" may not subscribe to resource "notes+x://a"'],
    ["completion/complete", "prompt", "notes_summary", 'consumer "alice" may not use prompt "notes_summary"'],
  ] as const)("names what %s may not do", (method, kind, exposed, message) => {
    expect(authorize(alice, call({ method, kind, exposed, server: "notes" }))?.message).toBe(message);
  });

  it("allows a resource only when its normalized form is allowed too", () => {
    const files = caller({ resources: ["files+fs://host/public/*", "files+FS://host/private/*"] });
    const read = { method: "resources/read", kind: "resource", server: "files" } as const;
    const upper = { ...read, exposed: "files+FS://host/private/key", normalized: "files+fs://host/private/key" };
    expect(authorize(files, call(upper))).toMatchObject({ httpStatus: 403 });
    const spaced = { ...read, exposed: "files+fs://host/public/a b", normalized: "files+fs://host/public/a%20b" };
    expect(authorize(files, call(spaced))).toBeUndefined();
  });

  it("caps a huge name in the 403 message and data", () => {
    const error = authorize(alice, call({ exposed: "n".repeat(500_000), server: "notes" }));
    expect(error?.message.length).toBeLessThan(400);
    expect(JSON.stringify(error?.data).length).toBeLessThan(400);
  });

  it("lets the caller answer requests of a server it may reach", () => {
    expect(authorize(alice, call({ method: "", kind: "response", exposed: "" }))).toBeUndefined();
  });

  it("refuses answers to a server the caller may not reach", () => {
    expect(authorize(alice, call({ method: "", kind: "response", exposed: "", server: "notes" }))).toMatchObject({
      httpStatus: 403,
      message: 'consumer "alice" may not answer requests of server "notes"',
      data: { server: "notes" },
    });
  });
});

describe("checkArguments", () => {
  it("refuses arguments over maxArgumentBytes with 413 naming the tool and the size", () => {
    const args = { text: "x".repeat(200) };
    const size = Buffer.byteLength(JSON.stringify(args));
    expect(checkArguments(call({ routedBytes: 400, args }), 100)).toMatchObject({
      httpStatus: 413,
      message: `arguments of "weather_get_forecast" are ${size} bytes, over the limit of 100 bytes`,
    });
  });

  it("counts arguments in UTF-8 bytes, not characters", () => {
    const args = { s: "é".repeat(50) };
    expect(JSON.stringify(args).length).toBeLessThanOrEqual(100);
    expect(checkArguments(call({ routedBytes: 200, args }), 100)?.httpStatus).toBe(413);
  });

  it("accepts arguments at maxArgumentBytes", () => {
    const args = { text: "x".repeat(100 - '{"text":""}'.length) };
    expect(checkArguments(call({ routedBytes: 400, args }), 100)).toBeUndefined();
  });

  // BUG: admission.ts skips the argument check when the body is within the cap, but JSON.stringify can make the
  // arguments longer than they were in the body (`1e20` re-serializes as `100000000000000000000`), and route.ts
  // forwards the re-serialized arguments.
  it("refuses arguments whose serialized form is over the cap even when the body was within it", () => {
    const limit = 1000;
    const envelope = (list: string): string =>
      `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"weather_get_forecast","arguments":{"n":[${list}]}}}`;
    let count = 1;
    while (
      Buffer.byteLength(
        envelope(
          Array(count + 1)
            .fill("1e20")
            .join(","),
        ),
      ) <= limit
    )
      count++;
    const body = envelope(Array(count).fill("1e20").join(","));
    const args = (JSON.parse(body) as { params: { arguments: unknown } }).params.arguments;
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(limit);
    expect(Buffer.byteLength(JSON.stringify(args))).toBeGreaterThan(limit);
    const routedBytes = Buffer.byteLength(JSON.stringify(JSON.parse(body)));
    expect(checkArguments(call({ routedBytes, args }), limit)?.httpStatus).toBe(413);
  });
});

describe("authorize answers to a server's requests", () => {
  it("refuses an answer to a server the consumer can use nothing of (403)", () => {
    const answer = call({ kind: "response", exposed: "", server: "notes", serverVisible: false });
    expect(authorize(caller(), answer)?.httpStatus).toBe(403);
  });

  it("lets an answer through to a server the consumer uses", () => {
    const answer = call({ kind: "response", exposed: "", server: "weather", serverVisible: true });
    expect(authorize(caller(), answer)).toBeUndefined();
  });
});
