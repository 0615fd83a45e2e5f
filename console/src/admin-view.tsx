import { useState } from "preact/hooks";
import { AdminApi, AdminApiError, fetchStatus, type ConsumerView } from "./admin-api";
import type { Refusal } from "./refusal";
import { RefusalView } from "./refusal-view";
import { AuditTailView } from "./audit-tail-view";

function adminRefusal(error: unknown): Refusal {
  if (error instanceof AdminApiError) return { title: `HTTP ${error.status}`, detail: error.message };
  return { title: "Error", detail: error instanceof Error ? error.message : String(error) };
}

/** The admin session: the API (token held in memory), its consumers, the last key issued, the last refusal. */
function useAdmin() {
  const [api, setApi] = useState<AdminApi | undefined>();
  const [consumers, setConsumers] = useState<ConsumerView[]>([]);
  const [issued, setIssued] = useState<{ name: string; apiKey: string } | undefined>();
  const [refusal, setRefusal] = useState<Refusal | undefined>();
  const run = async (action: (admin: AdminApi) => Promise<unknown>, admin = api) => {
    if (!admin) return;
    setRefusal(undefined);
    try {
      await action(admin);
      setConsumers(await admin.consumers());
      setApi(admin);
    } catch (error: unknown) {
      setRefusal(adminRefusal(error));
    }
  };
  const issue = (admin: AdminApi, call: (a: AdminApi) => Promise<{ name: string; apiKey: string }>) =>
    call(admin).then((answer) => setIssued({ name: answer.name, apiKey: answer.apiKey }));
  return { api, consumers, issued, refusal, run, issue, clearIssued: () => setIssued(undefined) };
}

function TokenForm({ onToken }: { onToken: (token: string) => void }) {
  const [token, setToken] = useState("");
  return (
    <form
      class="sign-in"
      aria-label="Admin sign in"
      onSubmit={(e) => {
        e.preventDefault();
        onToken(token.trim());
      }}
    >
      <h2>Admin</h2>
      <p class="hint">Open this console on the admin listener (admin.listen)/ui; the token stays in this page.</p>
      <div class="field">
        <label for="admin-token">Admin token</label>
        <input
          id="admin-token"
          type="password"
          autocomplete="off"
          required
          value={token}
          onInput={(e) => setToken(e.currentTarget.value)}
        />
      </div>
      <button type="submit">Sign in as admin</button>
    </form>
  );
}

function RegisterForm({ onRegister }: { onRegister: (name: string, policy: string) => void }) {
  const [name, setName] = useState("");
  const [policy, setPolicy] = useState("");
  return (
    <form
      aria-label="Register a consumer"
      onSubmit={(e) => {
        e.preventDefault();
        onRegister(name.trim(), policy.trim());
      }}
    >
      <h3>Register a consumer</h3>
      <div class="field">
        <label for="new-consumer-name">Consumer name</label>
        <input
          id="new-consumer-name"
          type="text"
          required
          value={name}
          onInput={(e) => setName(e.currentTarget.value)}
        />
      </div>
      <div class="field">
        <label for="new-consumer-policy">Policy</label>
        <input
          id="new-consumer-policy"
          type="text"
          required
          value={policy}
          onInput={(e) => setPolicy(e.currentTarget.value)}
        />
      </div>
      <button type="submit">Register</button>
    </form>
  );
}

function ConsumerRow(props: {
  consumer: ConsumerView;
  act: (kind: "rotate" | "revoke" | "policy", policy?: string) => void;
}) {
  const { consumer: c, act } = props;
  const [policy, setPolicy] = useState(c.policy);
  const live = !c.readOnly && c.revokedAt === null;
  return (
    <tr>
      <th scope="row">{c.name}</th>
      <td>{c.source === "config" ? "config file (read-only)" : "admin API"}</td>
      <td>
        {live ? (
          <form class="inline" onSubmit={(e) => (e.preventDefault(), act("policy", policy.trim()))}>
            <label for={`policy-${c.name}`} class="visually-hidden">
              Policy of {c.name}
            </label>
            <input
              id={`policy-${c.name}`}
              type="text"
              value={policy}
              onInput={(e) => setPolicy(e.currentTarget.value)}
            />
            <button type="submit">Change policy of {c.name}</button>
          </form>
        ) : (
          c.policy
        )}
      </td>
      <td>{c.revokedAt ? `revoked ${c.revokedAt}` : c.rotatedAt ? `rotated ${c.rotatedAt}` : (c.createdAt ?? "")}</td>
      <td>
        {live ? (
          <>
            <button type="button" onClick={() => act("rotate")}>
              Rotate key of {c.name}
            </button>{" "}
            <button type="button" onClick={() => act("revoke")}>
              Revoke {c.name}
            </button>
          </>
        ) : null}
      </td>
    </tr>
  );
}

function StatusPanel() {
  const [status, setStatus] = useState<string | undefined>();
  const load = async () => {
    const answer = await fetchStatus().catch((error: unknown) => ({ ok: false as const, reason: String(error) }));
    setStatus(answer.ok ? JSON.stringify(answer.status, null, 2) : answer.reason);
  };
  return (
    <section aria-label="Gateway status">
      <h3>Status</h3>
      <button type="button" onClick={() => void load()}>
        Load /status
      </button>
      {status ? <pre>{status}</pre> : null}
    </section>
  );
}

/**
 * The admin tab: consumers (config and admin API, marked), register (key shown once), rotate, revoke, policy; the live
 * audit tail; /status.
 */
export function AdminView() {
  const admin = useAdmin();
  const { api, consumers, issued, refusal, run, issue } = admin;
  return (
    <div class="admin">
      {refusal ? <RefusalView refusal={refusal} /> : null}
      {!api ? (
        <TokenForm onToken={(token) => void run(async () => undefined, new AdminApi(token))} />
      ) : (
        <>
          {issued ? (
            <section class="issued" aria-label="New API key">
              <p>
                API key of <strong>{issued.name}</strong>, shown once: store it now.
              </p>
              <pre class="api-key">{issued.apiKey}</pre>
              <button type="button" onClick={admin.clearIssued}>
                Hide the key
              </button>
            </section>
          ) : null}
          <table class="consumers">
            <caption>Consumers</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Source</th>
                <th scope="col">Policy</th>
                <th scope="col">State</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {consumers.map((c) => (
                <ConsumerRow
                  key={`${c.source}:${c.name}`}
                  consumer={c}
                  act={(kind, policy) =>
                    void run((a) =>
                      kind === "rotate"
                        ? issue(a, (x) => x.rotate(c.name))
                        : kind === "revoke"
                          ? a.revoke(c.name)
                          : a.setPolicy(c.name, policy ?? c.policy),
                    )
                  }
                />
              ))}
            </tbody>
          </table>
          <RegisterForm onRegister={(name, policy) => void run((a) => issue(a, (x) => x.register(name, policy)))} />
          <AuditTailView api={api} />
        </>
      )}
      <StatusPanel />
    </div>
  );
}
