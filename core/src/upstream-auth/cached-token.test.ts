import { CachedToken } from "./cached-token";
import type { Grant } from "./token-endpoint";

function fakeEndpoint(now: { t: number }, lifetimeMs: number) {
  const issued: number[] = [];
  let fail = false;
  const fetch = async (): Promise<Grant> => {
    await Promise.resolve();
    if (fail) throw new Error('upstream "x": no access token could be obtained');
    issued.push(now.t);
    return { accessToken: `token-${issued.length}`, expiresAt: now.t + lifetimeMs };
  };
  return { fetch, issued, failNext: (value: boolean) => (fail = value) };
}

describe("CachedToken", () => {
  it("shares one fetch among concurrent callers (single flight)", async () => {
    const now = { t: 0 };
    const endpoint = fakeEndpoint(now, 60_000);
    const token = new CachedToken(endpoint.fetch, { skewMs: 30_000, now: () => now.t });
    const tokens = await Promise.all([token.get(), token.get(), token.get()]);
    expect(tokens).toEqual(["token-1", "token-1", "token-1"]);
    expect(endpoint.issued).toHaveLength(1);
  });

  it("refreshes inside the skew (at most half the lifetime) while callers keep the current token", async () => {
    const now = { t: 0 };
    const endpoint = fakeEndpoint(now, 4_000);
    const token = new CachedToken(endpoint.fetch, { skewMs: 30_000, now: () => now.t });
    expect(await token.get()).toBe("token-1");
    now.t = 2_500;
    expect(await token.get()).toBe("token-1");
    await Promise.resolve();
    await Promise.resolve();
    expect(await token.get()).toBe("token-2");
  });

  it("backs off after a failure and rethrows without fetching again until the back-off ends", async () => {
    const now = { t: 0 };
    const endpoint = fakeEndpoint(now, 60_000);
    const token = new CachedToken(endpoint.fetch, { skewMs: 1_000, backoffMs: 1_000, now: () => now.t });
    endpoint.failNext(true);
    await expect(token.get()).rejects.toThrow('upstream "x"');
    endpoint.failNext(false);
    await expect(token.get()).rejects.toThrow('upstream "x"');
    now.t = 1_001;
    expect(await token.get()).toBe("token-1");
  });
});
