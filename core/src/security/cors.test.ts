import { hashApiKey } from "../auth/api-keys";
import { parseConfig } from "../config/load";
import { CorsPolicy } from "./cors";

const SERVERS = `version: 1\nservers: [{ name: a, url: "http://127.0.0.1:1/mcp" }]\n`;
const ORIGINS = `security: { allowedOrigins: ["https://app.example.com", "http://localhost:3000/ignored/path"] }\n`;
const withOrigins = new CorsPolicy(parseConfig(`${SERVERS}auth: none\n${ORIGINS}`, {}));
const withoutOrigins = new CorsPolicy(parseConfig(`${SERVERS}auth: none\n`, {}));

const EXPOSED = "mcp-session-id, mcp-protocol-version, www-authenticate, retry-after";

describe("CorsPolicy.responseHeaders", () => {
  it("allows a listed origin, exposing the headers a browser client must read", () => {
    expect(withOrigins.responseHeaders({ origin: "https://app.example.com" })).toEqual({
      "access-control-allow-origin": "https://app.example.com",
      "access-control-expose-headers": EXPOSED,
      vary: "origin",
    });
  });

  it("compares origins only, so a listed URL with a path allows its origin", () => {
    expect(withOrigins.responseHeaders({ origin: "http://localhost:3000" })["access-control-allow-origin"]).toBe(
      "http://localhost:3000",
    );
  });

  it.each([
    ["another host", "https://evil.example.com"],
    ["a subdomain", "https://sub.app.example.com"],
    ["a suffix trick", "https://app.example.com.evil.com"],
    ["another scheme", "http://app.example.com"],
    ["another port", "https://app.example.com:8443"],
    ["the opaque origin", "null"],
    ["no URL at all", "app.example.com"],
    ["an empty origin", ""],
  ])("adds nothing for %s", (_label, origin) => {
    expect(withOrigins.responseHeaders({ origin })).toEqual({});
  });

  it("adds nothing to a request without an Origin", () => {
    expect(withOrigins.responseHeaders({ host: "gw.example.com" })).toEqual({});
  });

  it("adds nothing for any origin without security.allowedOrigins", () => {
    expect(withoutOrigins.responseHeaders({ origin: "https://app.example.com" })).toEqual({});
  });
});

describe("CorsPolicy.preflight", () => {
  it("answers a preflight from a listed origin", () => {
    expect(withOrigins.preflight("OPTIONS", { origin: "https://app.example.com" })).toEqual({
      "access-control-allow-origin": "https://app.example.com",
      "access-control-expose-headers": EXPOSED,
      vary: "origin",
      "access-control-allow-methods": "GET, POST, DELETE",
      "access-control-allow-headers":
        "content-type, accept, authorization, mcp-session-id, mcp-protocol-version, last-event-id",
      "access-control-max-age": "600",
    });
  });

  it.each([
    ["another method from a listed origin", "POST", "https://app.example.com"],
    ["an OPTIONS from a foreign origin", "OPTIONS", "https://evil.example.com"],
  ])("is not a preflight: %s", (_label, method, origin) => {
    expect(withOrigins.preflight(method, { origin })).toBeUndefined();
  });

  it("is no preflight without security.allowedOrigins", () => {
    expect(withoutOrigins.preflight("OPTIONS", { origin: "https://app.example.com" })).toBeUndefined();
  });

  it("is no preflight without an Origin", () => {
    expect(withOrigins.preflight("OPTIONS", {})).toBeUndefined();
  });

  it("allows a configured API key header in requests", () => {
    const guarded = parseConfig(
      `${SERVERS}${ORIGINS}auth: { apiKeys: { header: X-API-Key } }\nconsumers: [{ name: c, policy: p, keyHash: "${hashApiKey("k")}" }]\npolicies: { p: {} }\n`,
      {},
    );
    const headers = new CorsPolicy(guarded).preflight("OPTIONS", { origin: "https://app.example.com" });
    expect(headers?.["access-control-allow-headers"]?.split(", ")).toContain("x-api-key");
  });

  it("lists authorization once when it is the API key header", () => {
    const guarded = parseConfig(`${SERVERS}${ORIGINS}consumers: [{ name: c, policy: p }]\npolicies: { p: {} }\n`, {});
    const headers = new CorsPolicy(guarded).preflight("OPTIONS", { origin: "https://app.example.com" });
    expect(headers?.["access-control-allow-headers"]?.split(", ").filter((h) => h === "authorization")).toHaveLength(1);
  });

  it("never allows credentials (cookies): bearer tokens travel in headers", () => {
    const headers = withOrigins.preflight("OPTIONS", { origin: "https://app.example.com" });
    expect(headers).not.toHaveProperty("access-control-allow-credentials");
  });
});
