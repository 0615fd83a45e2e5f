import { SESSION_DIGEST_MAX_ID_CHARS, sessionDigests } from "./session-digests";

describe("sessionDigests", () => {
  const counting = (): { calls: string[]; digest: (id: string) => string } => {
    const calls: string[] = [];
    return { calls, digest: (id) => (calls.push(id), `hs:${id.length}`) };
  };

  it("hashes a session id once and answers its later requests from memory", () => {
    const { calls, digest } = counting();
    const cached = sessionDigests(digest);
    expect([cached("a"), cached("a"), cached("bb")]).toEqual(["hs:1", "hs:1", "hs:2"]);
    expect(calls).toEqual(["a", "bb"]);
  });

  it("stays bounded: past its size the oldest id is forgotten and hashed again", () => {
    const { calls, digest } = counting();
    const cached = sessionDigests(digest, 2);
    for (const id of ["a", "b", "c", "a"]) cached(id);
    expect(calls).toEqual(["a", "b", "c", "a"]);
  });

  it("never remembers an overlong id (client data)", () => {
    const { calls, digest } = counting();
    const cached = sessionDigests(digest);
    const long = "x".repeat(SESSION_DIGEST_MAX_ID_CHARS + 1);
    cached(long);
    cached(long);
    expect(calls).toHaveLength(2);
  });

  it("remembers that there is no digest (no hasher) as well", () => {
    const calls: string[] = [];
    const cached = sessionDigests((id) => (calls.push(id), undefined));
    expect([cached("a"), cached("a")]).toEqual([undefined, undefined]);
    expect(calls).toEqual(["a"]);
  });
});
