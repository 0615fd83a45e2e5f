import type { Page } from "playwright-core";
import type { OidcProvider } from "../support/oidc-provider";

/** The console's OAuth client id at the test provider. */
export const CLIENT_ID = "mcp-console";
/** The resource (RFC 8707) the provider issues JWT access tokens for: the gateway's audience. */
export const RESOURCE = "https://gateway.test/mcp";

/**
 * The gateway's access config for `issuer`: consumer dana (weather tools), JWTs from the issuer, the console on (asking
 * for offline_access with `offlineAccess`).
 */
export function oidcAccess(issuer: string, clockSkew = "30s", offlineAccess = false): string {
  return `consumers:
  - { name: dana, policy: weather }
policies:
  weather: { tools: ["weather_*"] }
  notes: { tools: ["notes_*"] }
auth:
  jwt: { issuer: "${issuer}", audience: "${RESOURCE}", jwksUrl: "${issuer}/jwks", consumerClaim: sub, clockSkew: ${clockSkew} }
  resourceMetadata: { resource: "${RESOURCE}", authorizationServers: ["${issuer}"], scopes: [mcp] }
console: { enabled: true, oidcClientId: ${CLIENT_ID}, oidcOfflineAccess: ${offlineAccess} }`;
}

/** Signs in at the provider's dev pages as `subject` (any password), then consents. */
export async function signInAtProvider(page: Page, provider: OidcProvider, subject: string): Promise<void> {
  await page.getByRole("button", { name: "Sign in with the identity provider" }).click();
  await page.waitForURL((url) => url.href.startsWith(provider.issuer));
  await page.locator('input[name="login"]').fill(subject);
  await page.locator('input[name="password"]').fill("any");
  await page.locator('button[type="submit"]').click();
  await page.locator('button[type="submit"]', { hasText: /continue/i }).click();
}
