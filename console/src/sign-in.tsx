import { useState } from "preact/hooks";
import type { Credentials } from "./mcp-session";

/** The sign-in form: an API key (a password field, held in memory only) and the header the gateway reads it from. */
export function SignIn({ onSignIn, busy }: { onSignIn: (credentials: Credentials) => void; busy: boolean }) {
  const [key, setKey] = useState("");
  const [header, setHeader] = useState("Authorization");
  return (
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
        <input id="key-header" type="text" required value={header} onInput={(e) => setHeader(e.currentTarget.value)} />
        <p class="hint">
          Authorization sends "Bearer &lt;key&gt;"; any other header (auth.apiKeys.header) gets the bare key.
        </p>
      </div>
      <button type="submit" disabled={busy}>
        Sign in
      </button>
    </form>
  );
}
