import { useEffect, useState } from "preact/hooks";
import type { ConsumerServer, McpSession } from "./mcp-session";
import { describeError, type Refusal } from "./refusal";
import { RefusalView } from "./refusal-view";

function ServerRow({ server: s }: { server: ConsumerServer }) {
  return (
    <tr>
      <th scope="row">{s.name}</th>
      <td>{s.state}</td>
      <td>{s.generation ?? "unknown"}</td>
      <td>{s.protocolVersion ?? ""}</td>
      <td>{s.tools}</td>
      <td>{s.prompts}</td>
      <td>{s.resources}</td>
      <td>{s.lastError ?? ""}</td>
      <td>{s.lastCheckedAt ?? ""}</td>
    </tr>
  );
}

/**
 * The servers this key may use, as the gateway's `mcpgateway/servers` gives them: health, protocol generation, what
 * the key sees of each, the last error (addresses hidden). Filtered by the key's policy on the gateway; `/status`,
 * which names every upstream, is the admin view's.
 */
export function ServersView({ session }: { session: McpSession }) {
  const [servers, setServers] = useState<ConsumerServer[] | undefined>();
  const [refusal, setRefusal] = useState<Refusal | undefined>();
  const load = () => {
    setRefusal(undefined);
    session.servers().then(setServers, (error: unknown) => setRefusal(describeError(error)));
  };
  useEffect(load, [session]);
  return (
    <section aria-label="Servers">
      {refusal ? <RefusalView refusal={refusal} /> : null}
      <button type="button" onClick={load}>
        Refresh servers
      </button>
      <table class="servers">
        <caption>Servers your key may use</caption>
        <thead>
          <tr>
            <th scope="col">Server</th>
            <th scope="col">State</th>
            <th scope="col">Generation</th>
            <th scope="col">Protocol</th>
            <th scope="col">Tools</th>
            <th scope="col">Prompts</th>
            <th scope="col">Resources</th>
            <th scope="col">Last error</th>
            <th scope="col">Last checked</th>
          </tr>
        </thead>
        <tbody>
          {(servers ?? []).map((s) => (
            <ServerRow key={s.name} server={s} />
          ))}
        </tbody>
      </table>
    </section>
  );
}
