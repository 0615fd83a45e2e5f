import type { Catalog } from "./mcp-session";

interface ServerCounts {
  tools: number;
  prompts: number;
  resources: number;
}

/** The server a gateway name belongs to: tools and prompts are `<server>_<name>`, resources `<server>+<scheme>:…`. */
function serverOf(name: string, separator: string): string {
  const at = name.indexOf(separator);
  return at > 0 ? name.slice(0, at) : "(unprefixed)";
}

function countByServer(catalog: Catalog): Map<string, ServerCounts> {
  const counts = new Map<string, ServerCounts>();
  const bump = (server: string, field: keyof ServerCounts) => {
    const entry = counts.get(server) ?? { tools: 0, prompts: 0, resources: 0 };
    entry[field]++;
    counts.set(server, entry);
  };
  for (const tool of catalog.tools) bump(serverOf(tool.name, "_"), "tools");
  for (const prompt of catalog.prompts) bump(serverOf(prompt.name, "_"), "prompts");
  for (const resource of [...catalog.resources.map((r) => r.uri), ...catalog.templates.map((t) => t.uriTemplate)])
    bump(serverOf(resource, "+"), "resources");
  return counts;
}

/**
 * The servers this key reaches, as its own MCP lists show them (the gateway's /status is an operations endpoint, not
 * a consumer's: it names every upstream, so the consumer view counts what the key may list instead).
 */
export function ServersView({ catalog }: { catalog: Catalog }) {
  const rows = [...countByServer(catalog)].sort(([a], [b]) => (a < b ? -1 : 1));
  return (
    <table class="servers">
      <caption>Servers your key reaches (from your tool, prompt and resource lists)</caption>
      <thead>
        <tr>
          <th scope="col">Server</th>
          <th scope="col">Tools</th>
          <th scope="col">Prompts</th>
          <th scope="col">Resources</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(([server, c]) => (
          <tr key={server}>
            <th scope="row">{server}</th>
            <td>{c.tools}</td>
            <td>{c.prompts}</td>
            <td>{c.resources}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
