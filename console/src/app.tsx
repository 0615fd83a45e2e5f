import { useEffect, useRef, useState } from "preact/hooks";
import { McpSession, type Catalog, type Credentials } from "./mcp-session";
import { describeError, type Refusal } from "./refusal";
import { RefusalView } from "./refusal-view";
import { SignIn } from "./sign-in";
import { ToolsView } from "./tools-view";
import { PromptsView } from "./prompts-view";
import { ResourcesView } from "./resources-view";
import { ServersView } from "./servers-view";
import { ElicitationDialog, type PendingElicitation } from "./elicitation-dialog";
import { AdminView } from "./admin-view";
import { beginOidcSignIn, completeOidcSignIn, isOidcReturn, loadOidcSettings, type OidcSettings } from "./oidc";
import { OidcToken } from "./oidc-token";

const TABS = ["Tools", "Prompts", "Resources", "Servers", "Admin"] as const;
type Tab = (typeof TABS)[number];

interface Signed {
  session: McpSession;
  catalog: Catalog;
}

function ConsumerTab({ tab, signed }: { tab: Tab; signed: Signed }) {
  const { session, catalog } = signed;
  switch (tab) {
    case "Tools":
      return <ToolsView tools={catalog.tools} session={session} />;
    case "Prompts":
      return <PromptsView prompts={catalog.prompts} session={session} />;
    case "Resources":
      return <ResourcesView catalog={catalog} session={session} />;
    case "Servers":
      return <ServersView session={session} />;
    default:
      return null;
  }
}

/** Sign-in state: the session and catalog once signed in, the refusal when not, and a pending elicitation. */
function useConsumer() {
  const [signed, setSigned] = useState<Signed | undefined>();
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState<Refusal | undefined>();
  const [pending, setPending] = useState<PendingElicitation | undefined>();
  const elicit = (params: PendingElicitation["params"]) =>
    new Promise<Parameters<PendingElicitation["answer"]>[0]>((resolve) =>
      setPending({ params, answer: (result) => (setPending(undefined), resolve(result)) }),
    );
  const signIn = async (credentials: Credentials) => {
    setBusy(true);
    setRefusal(undefined);
    try {
      const session = await McpSession.open(credentials, elicit);
      setSigned({ session, catalog: await session.catalog() });
    } catch (error: unknown) {
      setRefusal(describeError(error));
    } finally {
      setBusy(false);
    }
  };
  const signOut = async () => {
    const old = signed;
    setSigned(undefined);
    await old?.session.close().catch(() => undefined);
  };
  return { signed, busy, refusal, pending, signIn, signOut, setRefusal };
}

function isTab(view: string | undefined): view is Tab {
  return (TABS as readonly string[]).includes(view ?? "");
}

/** What the OIDC sign-in needs from the console: signing in, showing a failure or a notice, and the current view. */
interface OidcHooks {
  signIn: (credentials: Credentials) => Promise<void>;
  fail: (refusal: Refusal) => void;
  notify: (notice: string) => void;
  tab: { current: Tab };
  setTab: (tab: Tab) => void;
}

/**
 * The configured OIDC issuer (from /ui/config.json); finishes a sign-in when this load is the issuer's redirect,
 * returning to the view it started from. The token is held in memory only and renewed as it expires: with the
 * refresh token, else by signing in again from the view the user is on.
 */
function useOidc({ signIn, fail, notify, tab, setTab }: OidcHooks) {
  const [oidc, setOidc] = useState<OidcSettings | null>(null);
  useEffect(() => {
    void (async () => {
      const settings = await loadOidcSettings();
      setOidc(settings);
      if (!settings || !isOidcReturn()) return;
      try {
        const { tokens, place } = await completeOidcSignIn(settings);
        if (isTab(place?.view)) setTab(place.view);
        if (place?.expired) notify(`Your session expired, so you signed in again at ${settings.issuer}.`);
        const again = () => beginOidcSignIn(settings, { view: tab.current, expired: true });
        // Sent as Authorization: Bearer like an API key, the current token each time.
        await signIn({ header: "authorization", key: "", token: new OidcToken(settings, tokens, again) });
      } catch (error: unknown) {
        fail(describeError(error));
      }
    })();
  }, []);
  const begin = () => {
    if (oidc)
      beginOidcSignIn(oidc, { view: tab.current, expired: false }).catch((e: unknown) => fail(describeError(e)));
  };
  return { oidc, begin };
}

/** The console: sign in with an API key, then the consumer's tools, prompts, resources and servers; the admin tab. */
export function App() {
  const { signed, busy, refusal, pending, signIn, signOut, setRefusal } = useConsumer();
  const [tab, setTab] = useState<Tab>("Tools");
  const [notice, setNotice] = useState<string | undefined>();
  const tabRef = useRef<Tab>(tab);
  tabRef.current = tab;
  const { oidc, begin } = useOidc({ signIn, fail: setRefusal, notify: setNotice, tab: tabRef, setTab });
  return (
    <>
      <header class="top">
        <h1>MCP Gateway console</h1>
        {signed ? (
          <button type="button" onClick={() => (setNotice(undefined), void signOut())}>
            Sign out
          </button>
        ) : null}
      </header>
      <nav class="tabs" aria-label="Views">
        {TABS.map((name) => (
          <button
            key={name}
            type="button"
            aria-current={tab === name ? "page" : undefined}
            onClick={() => setTab(name)}
          >
            {name}
          </button>
        ))}
      </nav>
      <main>
        {notice ? (
          <p class="notice" role="status">
            {notice}
          </p>
        ) : null}
        {refusal ? <RefusalView refusal={refusal} /> : null}
        {tab === "Admin" ? (
          <AdminView />
        ) : signed ? (
          <ConsumerTab tab={tab} signed={signed} />
        ) : (
          <SignIn busy={busy} onSignIn={(c) => void signIn(c)} oidc={oidc} onOidc={begin} />
        )}
      </main>
      {pending ? <ElicitationDialog pending={pending} /> : null}
    </>
  );
}
