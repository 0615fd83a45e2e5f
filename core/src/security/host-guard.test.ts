import { parseConfig } from "../config/load";
import { HostGuard } from "./host-guard";

const config = (security = ""): ReturnType<typeof parseConfig> =>
  parseConfig(`version: 1\nauth: none\nservers: [{ name: a, url: "http://127.0.0.1:1/mcp" }]\n${security}`, {});

describe("HostGuard on a loopback listener without configuration", () => {
  const guard = new HostGuard(config(), "127.0.0.1:8080");

  it.each([["127.0.0.1:8080"], ["localhost:8080"], ["localhost"], ["[::1]:8080"]])("accepts Host %s", (host) => {
    expect(guard.check({ host })).toBeUndefined();
  });

  it.each([["evil.example.com"], ["evil.example.com:8080"], ["127.0.0.1.evil.com"], [""]])(
    "refuses Host %j with 403",
    (host) => {
      expect(guard.check({ host })).toMatchObject({ httpStatus: 403, code: -31005 });
    },
  );

  it("refuses a missing Host", () => {
    expect(guard.check({})?.message).toContain("is not allowed");
  });

  it("reads :authority when there is no host header (Envoy)", () => {
    expect(guard.check({ ":authority": "evil.example.com" })?.httpStatus).toBe(403);
  });

  it.each([
    ["http://127.0.0.1:8080", true],
    ["http://localhost:3000", true],
    ["http://evil.example.com", false],
    ["null", false],
  ])("checks Origin %s against the allowed hosts", (origin, allowed) => {
    expect(guard.check({ host: "127.0.0.1:8080", origin }) === undefined).toBe(allowed);
  });
});

describe("HostGuard with configuration", () => {
  const guard = new HostGuard(
    config('security: { allowedHosts: ["mcp.example.com"], allowedOrigins: ["https://app.example.com"] }'),
    undefined,
  );

  it("accepts the configured host with or without a port", () => {
    expect(guard.check({ host: "mcp.example.com" })).toBeUndefined();
    expect(guard.check({ host: "MCP.example.com:443" })).toBeUndefined();
  });

  it("refuses other hosts, loopback included", () => {
    expect(guard.check({ host: "localhost" })?.httpStatus).toBe(403);
  });

  it("accepts only the configured origins", () => {
    expect(guard.check({ host: "mcp.example.com", origin: "https://app.example.com" })).toBeUndefined();
    expect(guard.check({ host: "mcp.example.com", origin: "https://mcp.example.com" })?.message).toContain("Origin");
  });
});

describe("HostGuard behind Envoy without configuration", () => {
  const guard = new HostGuard(config(), undefined);

  it("checks no Host (the public name is Envoy's) and says so", () => {
    expect(guard.checksHosts).toBe(false);
    expect(guard.check({ host: "anything.example.com" })).toBeUndefined();
  });
});
