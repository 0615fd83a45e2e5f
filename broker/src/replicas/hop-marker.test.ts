import { HopMarker } from "./hop-marker";

const SECRET = "a-replica-hop-secret-of-at-least-32-characters";
const REPLICA = "AbCdEfGhIjKlMn_-";

describe("HopMarker", () => {
  const now = { value: 1_000_000 };
  const marker = new HopMarker(SECRET, () => now.value);
  beforeEach(() => (now.value = 1_000_000));

  it("verifies what it signed and names the replica it was signed for", () => {
    expect(marker.verify(marker.sign(REPLICA))).toBe(REPLICA);
  });

  it("refuses a marker signed under another secret, altered, or of the wrong shape", () => {
    const signed = marker.sign(REPLICA);
    expect(new HopMarker(`${SECRET}-other`, () => now.value).verify(signed)).toBeUndefined();
    const [version, to, expiry, tag] = signed.split(".");
    expect(marker.verify([version, "ZbCdEfGhIjKlMn_-", expiry, tag].join("."))).toBeUndefined();
    expect(marker.verify([version, to, String(Number(expiry) + 1), tag].join("."))).toBeUndefined();
    expect(marker.verify(`${signed}.`)).toBeUndefined();
    expect(marker.verify(`h1.${"A".repeat(16)}.9999999999.${"A".repeat(43)}`)).toBeUndefined();
    expect(marker.verify(undefined)).toBeUndefined();
    expect(marker.verify("")).toBeUndefined();
  });

  it("refuses a marker once it expired (30 s)", () => {
    const signed = marker.sign(REPLICA);
    now.value += 29_000;
    expect(marker.verify(signed)).toBe(REPLICA);
    now.value += 2_000;
    expect(marker.verify(signed)).toBeUndefined();
  });
});
