import proxyaddr from "proxy-addr";
import { compileTrustedProxies, edgeClient, envoyClient, routedClient, CLIENT_ADDRESS_HEADER } from "./client-info";

describe("edgeClient", () => {
  it.each<[string, string, string | undefined, string[], string]>([
    ["no trusted proxies: the peer, x-forwarded-for ignored", "192.0.2.1", "203.0.113.9", [], "192.0.2.1"],
    ["an untrusted peer's x-forwarded-for is ignored", "192.0.2.1", "203.0.113.9", ["10.0.0.0/8"], "192.0.2.1"],
    ["a trusted peer: the entry it appended", "10.0.0.5", "203.0.113.9", ["10.0.0.0/8"], "203.0.113.9"],
    [
      "right to left past every trusted hop",
      "10.0.0.5",
      "198.51.100.1, 203.0.113.9, 10.1.1.1",
      ["10.0.0.0/8"],
      "203.0.113.9",
    ],
    ["a spoofed leftmost entry is never reached", "10.0.0.5", "1.1.1.1, 203.0.113.9", ["10.0.0.0/8"], "203.0.113.9"],
    ["a trusted peer without x-forwarded-for: the peer", "10.0.0.5", undefined, ["10.0.0.0/8"], "10.0.0.5"],
    ["named ranges and IPv6", "::1", "2001:db8::7", ["loopback"], "2001:db8::7"],
  ])("%s", (_case, peer, forwardedFor, trusted, expected) => {
    const headers: Record<string, string> = forwardedFor === undefined ? {} : { "x-forwarded-for": forwardedFor };
    expect(edgeClient(peer, headers, trusted).address).toBe(expected);
  });

  it.each(["192.0.2.1", "::ffff:192.0.2.1", "2001:db8::1", "", "not an address"])(
    "with no trusted proxies answers what proxy-addr does for peer %j",
    (peer) => {
      const headers = { "x-forwarded-for": "203.0.113.9, 10.0.0.1" };
      const request = { socket: { remoteAddress: peer }, headers };
      const expected = proxyaddr(request as unknown as Parameters<typeof proxyaddr>[0], compileTrustedProxies([]));
      expect(edgeClient(peer, headers, []).address).toBe(expected === "" ? null : expected);
    },
  );

  it("records the user agent, capped, and null when absent", () => {
    expect(edgeClient("192.0.2.1", { "user-agent": "probe/1.0" }, []).userAgent).toBe("probe/1.0");
    expect(edgeClient("192.0.2.1", {}, []).userAgent).toBeNull();
    expect(edgeClient("192.0.2.1", { "user-agent": "a".repeat(5_000) }, []).userAgent?.length).toBeLessThan(400);
  });

  it("has no address without a peer", () => {
    expect(edgeClient(undefined, { "x-forwarded-for": "203.0.113.9" }, ["0.0.0.0/1"]).address).toBeNull();
  });
});

describe("compileTrustedProxies", () => {
  it.each(["10.0.0.0/33", "not-an-ip", "10.0.0.0/0", "300.1.1.1"])("refuses %j", (entry) => {
    expect(() => compileTrustedProxies([entry])).toThrow(TypeError);
  });
});

describe("envoyClient and routedClient", () => {
  it.each([
    ["127.0.0.1:51234", "127.0.0.1"],
    ["203.0.113.7:0", "203.0.113.7"],
    ["[2001:db8::1]:443", "2001:db8::1"],
  ])("takes Envoy's source.address %j without its port", (source, expected) => {
    expect(envoyClient(source, {}).address).toBe(expected);
  });

  it("has no address when Envoy sent none (x-forwarded-for is not read)", () => {
    expect(envoyClient(undefined, { "x-forwarded-for": "203.0.113.9" }).address).toBeNull();
  });

  it("reads the address the router passed to the broker", () => {
    expect(routedClient({ [CLIENT_ADDRESS_HEADER]: "203.0.113.9", "user-agent": "x" })).toEqual({
      address: "203.0.113.9",
      userAgent: "x",
    });
  });
});
