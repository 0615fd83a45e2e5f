import type { Browser, Page, Response } from "playwright-core";
import { launchChromium } from "../support/browser";
import { oidcIssuerPort, startOidcProvider, type OidcProvider } from "../support/oidc-provider";
import { CLIENT_ID, RESOURCE, oidcAccess, signInAtProvider } from "./console-oidc-setup";
import { startGatewayStack, type GatewayStack, type StackMode } from "./gateway-stack";

jest.setTimeout(180_000);

// The console's OIDC token expires: a real oidc-provider issuing access tokens that live TTL seconds, the gateway
// allowing 1 s of clock skew. With a refresh token (offline_access granted, rotated on each use) the console renews
// silently, before expiry and on a 401 Bearer challenge; without one it sends the user through authorization code +
// PKCE again and brings them back to the view they were on, saying the session expired.
const TTL = 6;
let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

/** What the page sent and got: token endpoint requests, /mcp bearer tokens and statuses, pages it navigated to. */
interface Traffic {
  tokenForms: URLSearchParams[];
  /** The token endpoint's answers, in order (each read as it arrives: await them). */
  tokenBodies: Promise<Record<string, unknown>>[];
  bearers: string[];
  mcpStatuses: number[];
  navigations: string[];
  authorizations: string[];
}

function watch(page: Page, provider: OidcProvider, base: string): Traffic {
  const traffic: Traffic = {
    tokenForms: [],
    tokenBodies: [],
    bearers: [],
    mcpStatuses: [],
    navigations: [],
    authorizations: [],
  };
  page.on("request", (request) => {
    if (request.url() === `${provider.issuer}/token` && request.method() === "POST")
      traffic.tokenForms.push(new URLSearchParams(request.postData() ?? ""));
    if (request.isNavigationRequest() && request.url().startsWith(`${provider.issuer}/auth?`))
      traffic.authorizations.push(request.url());
    const auth = request.headers()["authorization"];
    if (request.url().startsWith(`${base}/mcp`) && auth) traffic.bearers.push(auth);
  });
  page.on("response", (response) => {
    if (response.url().startsWith(`${base}/mcp`)) traffic.mcpStatuses.push(response.status());
    if (response.url() === `${provider.issuer}/token` && response.request().method() === "POST")
      traffic.tokenBodies.push(response.json() as Promise<Record<string, unknown>>);
  });
  page.on("framenavigated", (frame) => {
    if (frame === page.mainFrame()) traffic.navigations.push(frame.url());
  });
  return traffic;
}

/** Waits (real time) until the token issued at `issuedAt` is past its lifetime and the gateway's 1 s of skew. */
async function pastExpiry(issuedAt: number): Promise<void> {
  const wait = issuedAt + (TTL + 2) * 1000 - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}

/** The next successful `mcpgateway/servers` answer from /mcp. */
function serversAnswered(page: Page, base: string): Promise<Response> {
  return page.waitForResponse(
    (r) =>
      r.url().startsWith(`${base}/mcp`) &&
      r.status() === 200 &&
      /mcpgateway\/servers/.test(r.request().postData() ?? ""),
    { timeout: 20_000 },
  );
}

async function signedIn(page: Page, base: string, provider: OidcProvider): Promise<number> {
  await page.goto(`${base}/ui/`);
  await signInAtProvider(page, provider, "dana");
  await page.getByRole("navigation", { name: "Tools" }).waitFor();
  return Date.now();
}

/** The gateway and the provider of one case, there from the describe's beforeAll to its afterAll. */
interface Case {
  stack: GatewayStack;
  provider: OidcProvider;
  base: string;
}

/** Starts a stack trusting a provider whose tokens live TTL s (with refresh tokens or not) for the enclosing describe. */
function useCase(mode: StackMode, refreshTokens: boolean): Case {
  const c = {} as Case;
  beforeAll(async () => {
    const { port, issuer } = await oidcIssuerPort();
    c.stack = await startGatewayStack(mode, { access: oidcAccess(issuer, "1s", true) });
    c.base = c.stack.url.replace(/\/mcp$/, "");
    c.provider = await startOidcProvider({
      port,
      clientId: CLIENT_ID,
      redirectUri: `${c.base}/ui/`,
      resource: RESOURCE,
      accessTokenTtl: TTL,
      refreshTokens,
    });
  });
  afterAll(async () => {
    await c.provider?.stop();
    await c.stack?.stop();
  });
  return c;
}

describe.each<[string, StackMode]>([
  ["standalone", { kind: "standalone" }],
  ["Envoy mode", { kind: "envoy", store: "memory" }],
])("console OIDC token expiry, %s", (_label, mode) => {
  describe("the issuer grants a refresh token", () => {
    const c = useCase(mode, true);

    it("renews silently before expiry, rotating the refresh token, without leaving the page", async () => {
      const page = await browser.newPage();
      const traffic = watch(page, c.provider, c.base);
      const issuedAt = await signedIn(page, c.base, c.provider);
      const firstBearer = traffic.bearers.at(-1);
      const navigationsAfterSignIn = traffic.navigations.length;
      await pastExpiry(issuedAt);
      const answered = serversAnswered(page, c.base);
      await page.getByRole("button", { name: "Servers", exact: true }).click();
      await answered;
      expect(traffic.tokenForms.map((form) => form.get("grant_type"))).toEqual(["authorization_code", "refresh_token"]);
      expect(traffic.bearers.at(-1)).not.toBe(firstBearer);
      expect(traffic.mcpStatuses).not.toContain(401);
      // A second expiry: the refresh token the first refresh returned (rotation) is the one used.
      const refreshedAt = Date.now();
      await pastExpiry(refreshedAt);
      const again = serversAnswered(page, c.base);
      await page.getByRole("button", { name: "Refresh servers" }).click();
      await again;
      const [first, second, third] = await Promise.all(traffic.tokenBodies);
      expect(typeof first?.["refresh_token"]).toBe("string");
      expect(traffic.tokenForms[1]?.get("refresh_token")).toBe(first?.["refresh_token"]);
      expect(traffic.tokenForms[2]?.get("refresh_token")).toBe(second?.["refresh_token"]);
      expect(second?.["refresh_token"]).not.toBe(first?.["refresh_token"]);
      expect(third?.["access_token"]).toBeDefined();
      // Never sent back to the issuer, nothing re-entered, the token never in the address bar.
      expect(traffic.navigations.slice(navigationsAfterSignIn)).toEqual([]);
      expect(page.url()).toBe(`${c.base}/ui/`);
      await expect(page.getByRole("alert").count()).resolves.toBe(0);
      await page.close();
    });

    it("renews on the gateway's 401 Bearer challenge when the token expired unnoticed, and retries the call", async () => {
      const page = await browser.newPage();
      const traffic = watch(page, c.provider, c.base);
      const issuedAt = await signedIn(page, c.base, c.provider);
      // The page's clock stands still: the console believes its token is still fresh, the gateway knows better.
      await page.clock.setFixedTime(new Date(issuedAt));
      await pastExpiry(issuedAt);
      const answered = serversAnswered(page, c.base);
      await page.getByRole("button", { name: "Servers", exact: true }).click();
      await answered;
      expect(traffic.mcpStatuses).toContain(401);
      expect(traffic.tokenForms.map((form) => form.get("grant_type"))).toEqual(["authorization_code", "refresh_token"]);
      await expect(page.getByRole("alert").count()).resolves.toBe(0);
      await page.close();
    });
  });

  describe("the issuer grants no refresh token", () => {
    const c = useCase(mode, false);

    it("signs in again through the issuer and returns to the same view, saying the session expired", async () => {
      const page = await browser.newPage();
      const traffic = watch(page, c.provider, c.base);
      const issuedAt = await signedIn(page, c.base, c.provider);
      const firstBearer = traffic.bearers.at(-1);
      expect((await traffic.tokenBodies[0])?.["refresh_token"]).toBeUndefined();
      await page.getByRole("button", { name: "Servers", exact: true }).click();
      await page.getByRole("table", { name: "Servers your key may use" }).waitFor();
      await pastExpiry(issuedAt);
      const answered = serversAnswered(page, c.base);
      await page.getByRole("button", { name: "Refresh servers" }).click();
      // Off to the issuer, which remembers the login; offline access was asked for, so it asks for consent again.
      await page.waitForURL((url) => url.href.startsWith(c.provider.issuer));
      await page.locator('button[type="submit"]', { hasText: /continue/i }).click();
      await answered;
      await expect(page.getByRole("status").innerText()).resolves.toContain("session expired");
      await expect(
        page.getByRole("button", { name: "Servers", exact: true }).getAttribute("aria-current"),
      ).resolves.toBe("page");
      expect(traffic.tokenForms.map((form) => form.get("grant_type"))).toEqual([
        "authorization_code",
        "authorization_code",
      ]);
      expect(traffic.bearers.at(-1)).not.toBe(firstBearer);
      // Through the issuer's authorization endpoint with the standard parameters only; back without code or state.
      const authorize = traffic.authorizations;
      expect(authorize).toHaveLength(2);
      const params = [...new URL(authorize[1] ?? "").searchParams.keys()].sort();
      expect(params).toEqual(
        [
          "client_id",
          "code_challenge",
          "code_challenge_method",
          "prompt",
          "redirect_uri",
          "resource",
          "response_type",
          "scope",
          "state",
        ].sort(),
      );
      expect([...traffic.navigations, ...authorize].join(" ")).not.toMatch(/access_token|code_verifier|Bearer/);
      expect(page.url()).toBe(`${c.base}/ui/`);
      await page.close();
    });
  });
});
