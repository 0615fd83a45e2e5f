import { PassThrough, Readable } from "node:stream";
import { hashApiKey, isApiKeyHash } from "@mcp-gateway/core";
import { hashKeyCommand } from "./hash-key-command";

interface Run {
  code: number;
  out: string;
  err: string;
}

async function run(positional: string | undefined, generate: boolean, stdin: NodeJS.ReadableStream): Promise<Run> {
  let out = "";
  let err = "";
  const code = await hashKeyCommand(positional, generate, { out: (t) => (out += t), err: (t) => (err += t) }, stdin);
  return { code, out, err };
}

/** A stdin nobody ever writes to or closes: reading it would hang the test. */
const silentStdin = (): NodeJS.ReadableStream => new PassThrough();

const KEY = "mcpgw_demo_key_0123456789";

describe("hash-key --generate", () => {
  it("prints a new key once with its hash, without reading stdin", async () => {
    const { code, out, err } = await run(undefined, true, silentStdin());
    const [, key = "", hash] = /^key: {2}(mcpgw_[A-Za-z0-9_-]{43})\nhash: (\S+)\n$/.exec(out) ?? [];
    expect([code, err, hash]).toEqual([0, "", hashApiKey(key)]);
  });

  it("makes a different key every time", async () => {
    const [first, second] = await Promise.all([
      run(undefined, true, silentStdin()),
      run(undefined, true, silentStdin()),
    ]);
    expect(first.out).not.toBe(second.out);
  });

  it("ignores a positional key", async () => {
    const { out } = await run(KEY, true, silentStdin());
    expect(out).not.toContain(hashApiKey(KEY));
  });
});

describe("hash-key from stdin", () => {
  it.each([
    ["as is", KEY],
    ["with the newline echo adds", `${KEY}\n`],
    ["with a CRLF", `${KEY}\r\n`],
    ["with surrounding blanks", `  ${KEY} \t\n`],
  ])("hashes a piped key %s", async (_label, input) => {
    expect(await run(undefined, false, Readable.from([Buffer.from(input)]))).toEqual({
      code: 0,
      out: `${hashApiKey(KEY)}\n`,
      err: "",
    });
  });

  it("prints only the hash, never the key", async () => {
    const { out } = await run(undefined, false, Readable.from([Buffer.from(KEY)]));
    expect([out.includes(KEY), isApiKeyHash(out.trim())]).toEqual([false, true]);
  });

  it("joins a key that arrives in several chunks, a multi-byte character split between them", async () => {
    const bytes = Buffer.from("mcpgw_ключ\n", "utf8");
    const split = bytes.indexOf(Buffer.from("л", "utf8")) + 1;
    const stdin = Readable.from([bytes.subarray(0, 3), bytes.subarray(3, split), bytes.subarray(split)]);
    expect((await run(undefined, false, stdin)).out).toBe(`${hashApiKey("mcpgw_ключ")}\n`);
  });

  it("reads a stdin that yields strings", async () => {
    expect((await run(undefined, false, Readable.from([KEY], { objectMode: true }))).out).toBe(`${hashApiKey(KEY)}\n`);
  });

  it.each([
    ["empty", ""],
    ["blank", " \n\t\r\n"],
  ])("answers an %s stdin with usage and exit code 2", async (_label, input) => {
    const { code, out, err } = await run(undefined, false, Readable.from([Buffer.from(input)]));
    expect([code, out]).toEqual([2, ""]);
    expect(err).toMatch(/^usage: echo -n KEY \| mcp-gateway hash-key/);
  });
});

describe("hash-key with a positional key", () => {
  it("hashes it without reading stdin", async () => {
    expect(await run(KEY, false, silentStdin())).toEqual({ code: 0, out: `${hashApiKey(KEY)}\n`, err: "" });
  });

  it("answers an empty positional key with usage and exit code 2", async () => {
    const { code, out } = await run("", false, silentStdin());
    expect([code, out]).toEqual([2, ""]);
  });
});
