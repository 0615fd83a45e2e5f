import { useState } from "preact/hooks";
import type { ReadResourceResult } from "@modelcontextprotocol/sdk/types.js";
import type { Catalog, McpSession } from "./mcp-session";
import { describeError, type Refusal } from "./refusal";
import { RefusalView } from "./refusal-view";
import { ResourceView } from "./content-view";
import { SearchableList } from "./searchable-list";

/** Resources and templates: pick one (or type a URI, e.g. a filled template) and read it. */
export function ResourcesView({ catalog, session }: { catalog: Catalog; session: McpSession }) {
  const [uri, setUri] = useState(catalog.resources[0]?.uri ?? "");
  const [result, setResult] = useState<ReadResourceResult | undefined>();
  const [refusal, setRefusal] = useState<Refusal | undefined>();
  const entries = [
    ...catalog.resources.map((r) => ({
      key: r.uri,
      name: r.name === r.uri ? r.uri : `${r.name}: ${r.uri}`,
      ...(r.description ? { description: r.description } : {}),
    })),
    ...catalog.templates.map((t) => ({
      key: t.uriTemplate,
      name: `${t.name}: ${t.uriTemplate} (template)`,
      ...(t.description ? { description: t.description } : {}),
    })),
  ];
  const read = async (event: Event) => {
    event.preventDefault();
    setResult(undefined);
    setRefusal(undefined);
    try {
      setResult(await session.readResource(uri));
    } catch (error: unknown) {
      setRefusal(describeError(error));
    }
  };
  return (
    <div class="split">
      <SearchableList label="Resources" entries={entries} chosen={uri} onChoose={setUri} />
      <article aria-label="Read a resource">
        <form onSubmit={(e) => void read(e)}>
          <label for="resource-uri">Resource URI</label>
          <input id="resource-uri" type="text" value={uri} onInput={(e) => setUri(e.currentTarget.value)} />
          <button type="submit">Read resource</button>
        </form>
        {refusal ? <RefusalView refusal={refusal} /> : null}
        {result ? <ResourceView result={result} /> : null}
      </article>
    </div>
  );
}
