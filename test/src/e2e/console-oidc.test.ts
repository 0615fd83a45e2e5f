import type { Browser } from "playwright-core";
import { launchChromium, listedTools } from "../support/browser";
import { oidcIssuerPort, startOidcProvider, type OidcProvider } from "../support/oidc-provider";
import { CLIENT_ID, RESOURCE, oidcAccess, signInAtProvider } from "./console-oidc-setup";
import { startGatewayStack, type GatewayStack, type StackMode } from "./gateway-stack";

jest.setTimeout(120_000);

// Sign-in with a JWT from the configured OIDC issuer: a real oidc-provider on 127.0.0.1 (its dev login and consent
// pages), the console doing authorization code + PKCE (S256), the gateway verifying the JWT access token against the
// provider's JWKS. The subject the login page is given is the consumer. Standalone, and behind the real Envoy (the
// console and /ui/config.json through the rendered /ui route, the token checked by the router).
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

describe.each<[string, StackMode]>([
  ["standalone", { kind: "standalone" }],
  ["Envoy mode", { kind: "envoy", store: "memory" }],
])("console sign-in with the configured OIDC issuer (authorization code + PKCE), %s", (_label, mode) => {
  let stack: GatewayStack;
  let provider: OidcProvider;
  let base: string;
  beforeAll(async () => {
    const { port, issuer } = await oidcIssuerPort();
    stack = await startGatewayStack(mode, { access: oidcAccess(issuer) });
    base = stack.url.replace(/\/mcp$/, "");
    provider = await startOidcProvider({ port, clientId: CLIENT_ID, redirectUri: `${base}/ui/`, resource: RESOURCE });
  });
  afterAll(async () => {
    await provider?.stop();
    await stack?.stop();
  });

  it("allows the issuer's origin in connect-src and nothing else beyond 'self'", async () => {
    const response = await fetch(`${base}/ui/`);
    const csp = response.headers.get("content-security-policy") ?? "";
    expect(csp).toContain(`connect-src 'self' ${provider.issuer};`);
    expect(csp).toMatch(/^default-src 'self'; script-src 'self';/);
  });

  it("signs in through the provider's login and consent pages and lists that consumer's tools only", async () => {
    const page = await browser.newPage({ viewport: { width: 1000, height: 640 } });
    const tokenRequests: string[] = [];
    const mcpAuth: string[] = [];
    const authorizationUrls: URL[] = [];
    page.on("request", (request) => {
      if (request.url().startsWith(`${provider.issuer}/auth`)) authorizationUrls.push(new URL(request.url()));
      if (request.url().startsWith(`${provider.issuer}/token`)) tokenRequests.push(request.postData() ?? "");
      const auth = request.headers()["authorization"];
      if (request.url().startsWith(`${base}/mcp`) && auth) mcpAuth.push(auth);
    });
    await page.goto(`${base}/ui/`);
    await signInAtProvider(page, provider, "dana");
    await page.getByRole("navigation", { name: "Tools" }).waitFor();
    const tools = await listedTools(page);
    expect(tools.length).toBeGreaterThan(0);
    expect(tools.filter((name) => !name.startsWith("weather_"))).toEqual([]);
    // PKCE: the code went back with its verifier; the code and state left the address bar.
    expect(tokenRequests).toHaveLength(1);
    // console.oidcOfflineAccess is off: no offline_access and no forced consent, though the issuer offers both.
    expect(authorizationUrls[0]?.searchParams.get("scope")).toBe("openid mcp");
    expect(authorizationUrls[0]?.searchParams.has("prompt")).toBe(false);
    expect(tokenRequests[0]).toMatch(/code_verifier=[A-Za-z0-9_-]{43,}/);
    expect(page.url()).toBe(`${base}/ui/`);
    // The access token (a JWT) is sent as a bearer token, never in a URL.
    expect(mcpAuth[0]).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    await page.close();
  });

  it("refuses a returned code whose state this tab never issued", async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/ui/?code=forged&state=forged`);
    await expect(page.getByRole("alert").innerText()).resolves.toContain("no sign-in was started from this tab");
    expect(page.url()).toBe(`${base}/ui/`);
    await page.close();
  });
});
