import { useState } from "preact/hooks";
import type { Credentials } from "./mcp-session";
import type { OidcSettings } from "./oidc";

function OidcSignIn({ oidc, onOidc, busy }: { oidc: OidcSettings; onOidc: () => void; busy: boolean }) {
  return (
    <section class="sign-in" aria-label="Sign in with your identity provider">
      <p class="hint">Or sign in at {oidc.issuer}: the token it issues stays in this page's memory.</p>
      <button type="button" disabled={busy} onClick={onOidc}>
        Sign in with the identity provider
      </button>
    </section>
  );
}

/** Properties of {@link SignIn}: what to do with a key, and the OIDC issuer when the gateway names one. */
interface SignInProps {
  onSignIn: (credentials: Credentials) => void;
  busy: boolean;
  oidc: OidcSettings | null;
  onOidc: () => void;
}

/**
 * The sign-in form: an API key (a password field, held in memory only) and the header the gateway reads it from;
 * beside it, sign-in at the configured OIDC issuer.
 */
export function SignIn({ onSignIn, busy, oidc, onOidc }: SignInProps) {
  const [key, setKey] = useState("");
  const [header, setHeader] = useState("Authorization");
  return (
    <>
      <form
        class="sign-in"
        aria-label="Sign in"
        onSubmit={(e) => {
          e.preventDefault();
          onSignIn({ key: key.trim(), header: header.trim().toLowerCase() });
        }}
      >
        <h2>Sign in</h2>
        <div class="field">
          <label for="api-key">API key</label>
          <input
            id="api-key"
            type="password"
            autocomplete="off"
            required
            value={key}
            onInput={(e) => setKey(e.currentTarget.value)}
          />
        </div>
        <div class="field">
          <label for="key-header">Key header</label>
          <input
            id="key-header"
            type="text"
            required
            value={header}
            onInput={(e) => setHeader(e.currentTarget.value)}
          />
          <p class="hint">
            Authorization sends "Bearer &lt;key&gt;"; any other header (auth.apiKeys.header) gets the bare key.
          </p>
        </div>
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
      {oidc ? <OidcSignIn oidc={oidc} onOidc={onOidc} busy={busy} /> : null}
    </>
  );
}
