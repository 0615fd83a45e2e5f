import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { freePort } from "./redis-server";

/** A running oidc-provider (test/src/support/oidc-provider-server.mjs) in a child process. */
export interface OidcProvider {
  issuer: string;
  jwksUrl: string;
  stop(): Promise<void>;
}

/** What {@link startOidcProvider} serves: one public client, JWT access tokens for one resource. */
export interface OidcProviderOptions {
  /** The port (its issuer is `http://127.0.0.1:<port>`), chosen first so the gateway's config can name the issuer. */
  port: number;
  clientId: string;
  redirectUri: string;
  resource: string;
  /** Lifetime of the access tokens it issues, in seconds (oidc-provider's default, an hour, when absent). */
  accessTokenTtl?: number;
  /** Whether the client may use the refresh_token grant (then offline_access is granted, refresh tokens rotate). */
  refreshTokens?: boolean;
}

/** A free port of 127.0.0.1 for {@link startOidcProvider}, and the issuer it will have there. */
export async function oidcIssuerPort(): Promise<{ port: number; issuer: string }> {
  const port = await freePort();
  return { port, issuer: `http://127.0.0.1:${port}` };
}

/** Starts oidc-provider on 127.0.0.1 (dev login and consent pages); resolves once it listens. */
export async function startOidcProvider(options: OidcProviderOptions): Promise<OidcProvider> {
  const { port, clientId, redirectUri, resource, accessTokenTtl, refreshTokens } = options;
  const extra = JSON.stringify({ accessTokenTtl, refreshTokens });
  // The .mjs sits in src/ only (tsc does not copy it): resolve it from the sources whether this runs from src or dist.
  const script = join(__dirname, "..", "..", "src", "support", "oidc-provider-server.mjs");
  const child: ChildProcess = spawn(process.execPath, [script, String(port), clientId, redirectUri, resource, extra], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const issuer = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`oidc-provider did not start in 20 s: ${stderr}`)), 20_000);
    child.stdout?.on("data", (chunk: Buffer) => {
      const match = /^ready (\S+)$/m.exec(chunk.toString());
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`oidc-provider exited (${code}): ${stderr}`));
    });
  });
  return {
    issuer,
    jwksUrl: `${issuer}/jwks`,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
