import { parseConfig } from "@mcp-gateway/core";
import { gatewayYaml } from "../testing/broker-fixture";
import { CONSOLE_CSP, consoleCsp, consoleSettings } from "./console-settings";

const ACCESS = `consumers:
  - { name: dana, policy: p }
policies:
  p: { tools: ["*"] }
`;

function config(auth: string, consoleSection: string) {
  return parseConfig(
    gatewayYaml([{ name: "w", url: "http://127.0.0.1:1/mcp" }], `${ACCESS}${auth}${consoleSection}`),
    {},
  );
}

const ISSUER = "https://login.example.com/tenant";
const OIDC_AUTH = `auth:
  jwt: { issuer: "${ISSUER}", audience: "https://gw.example/mcp", jwksUrl: "https://login.example.com/jwks" }
  resourceMetadata: { resource: "https://gw.example/mcp", authorizationServers: ["${ISSUER}"], scopes: [mcp, openid] }
`;

describe("the console's sign-in settings and CSP", () => {
  it("names the first authorization server, the client id, openid and the configured scopes, and the resource", () => {
    const parsed = config(OIDC_AUTH, "console: { enabled: true, oidcClientId: console-app }\n");
    expect(consoleSettings(parsed)).toEqual({
      oidc: {
        issuer: ISSUER,
        clientId: "console-app",
        scopes: ["openid", "mcp"],
        resource: "https://gw.example/mcp",
        offlineAccess: false,
      },
    });
  });

  it("admits the issuer's origin (not its path) in connect-src, and keeps every other directive", () => {
    const csp = consoleCsp(config(OIDC_AUTH, "console: { enabled: true, oidcClientId: console-app }\n"));
    expect(csp).toBe(CONSOLE_CSP.replace("connect-src 'self'", "connect-src 'self' https://login.example.com"));
  });

  it("offers no OIDC sign-in and the plain CSP without a client id", () => {
    const parsed = config(OIDC_AUTH, "console: { enabled: true }\n");
    expect(consoleSettings(parsed)).toEqual({ oidc: null });
    expect(consoleCsp(parsed)).toBe(CONSOLE_CSP);
  });

  it("refuses a client id without an authorization server to sign in at", () => {
    expect(() => config("", "console: { enabled: true, oidcClientId: console-app }\n")).toThrow(
      /console\.oidcClientId.*authorizationServers/s,
    );
  });
});
