import * as crypto from "node:crypto";
import { GatewaySessionCodec } from "./gateway-session";

// Counts HMAC computations: a verification the codec remembers must not compute one.
jest.mock("node:crypto", () => {
  const actual = jest.requireActual<typeof crypto>("node:crypto");
  return { ...actual, createHmac: jest.fn(actual.createHmac) };
});
const hmacs = crypto.createHmac as jest.MockedFunction<typeof crypto.createHmac>;

const SECRET = "a-test-secret-that-is-long-enough-000";

/** A codec on a clock the test moves, with ids valid for 10 s. */
function codecAt(start = 1_000_000, cacheSize?: number): { codec: GatewaySessionCodec; advance(ms: number): void } {
  let now = start;
  const codec = new GatewaySessionCodec(SECRET, 10_000, () => now, cacheSize);
  return { codec, advance: (ms) => (now += ms) };
}

describe("GatewaySessionCodec's verified-id cache", () => {
  beforeEach(() => hmacs.mockClear());

  it("computes the HMAC of an id once, however often the same id is verified", () => {
    const { codec } = codecAt();
    const id = codec.issue("alice");
    hmacs.mockClear();
    for (let i = 0; i < 5; i++) expect(codec.verify(id, "alice")).toMatchObject({ ok: true });
    expect(hmacs).toHaveBeenCalledTimes(1);
  });

  it("answers a remembered id past its expiry as expired, as a full verification does", () => {
    const { codec, advance } = codecAt();
    const id = codec.issue();
    expect(codec.verify(id)).toMatchObject({ ok: true });
    advance(11_000);
    expect(codec.verify(id)).toEqual({ ok: false, reason: "expired" });
    expect(codec.verify(id)).toEqual({ ok: false, reason: "expired" });
  });

  it("never lets a tampered spelling of a remembered id hit", () => {
    const { codec } = codecAt();
    const id = codec.issue();
    expect(codec.verify(id)).toMatchObject({ ok: true });
    const last = id.at(-1) === "A" ? "B" : "A";
    expect(codec.verify(`${id.slice(0, -1)}${last}`)).toMatchObject({ ok: false });
    expect(codec.verify(`${id}=`)).toEqual({ ok: false, reason: "malformed" });
  });

  it("does not verify a remembered id for another owner", () => {
    const { codec } = codecAt();
    const id = codec.issue("alice");
    expect(codec.verify(id, "alice")).toMatchObject({ ok: true });
    expect(codec.verify(id, "bob")).toEqual({ ok: false, reason: "bad-signature" });
    expect(codec.verify(id)).toEqual({ ok: false, reason: "bad-signature" });
  });

  it("remembers no refusal: a forged id costs a full verification every time", () => {
    const { codec } = codecAt();
    const forged = new GatewaySessionCodec("another-secret-that-is-long-enough-00", 10_000, () => 1_000_000).issue();
    hmacs.mockClear();
    for (let i = 0; i < 3; i++) expect(codec.verify(forged)).toEqual({ ok: false, reason: "bad-signature" });
    expect(hmacs).toHaveBeenCalledTimes(3);
  });

  it("keeps at most its size of ids, dropping the least recently used", () => {
    const { codec } = codecAt(1_000_000, 2);
    const [first, second, third] = [codec.issue(), codec.issue(), codec.issue()];
    for (const id of [first, second, third]) codec.verify(id);
    hmacs.mockClear();
    codec.verify(third);
    codec.verify(second);
    expect(hmacs).not.toHaveBeenCalled();
    expect(codec.verify(first)).toMatchObject({ ok: true });
    expect(hmacs).toHaveBeenCalledTimes(1);
  });
});
