import { useState } from "preact/hooks";

/** One entry of a {@link SearchableList}. */
export interface ListEntry {
  key: string;
  name: string;
  description?: string;
}

/** A search box over a list of buttons (name and description); choosing one calls `onChoose`. */
export function SearchableList(props: {
  label: string;
  entries: ListEntry[];
  chosen?: string;
  onChoose: (key: string) => void;
}) {
  const [query, setQuery] = useState("");
  const needle = query.trim().toLowerCase();
  const shown = props.entries.filter(
    (e) => !needle || e.name.toLowerCase().includes(needle) || (e.description ?? "").toLowerCase().includes(needle),
  );
  const searchId = `search-${props.label.toLowerCase().replace(/\W+/g, "-")}`;
  return (
    <nav class="list" aria-label={props.label}>
      <label for={searchId}>Search {props.label.toLowerCase()}</label>
      <input id={searchId} type="search" value={query} onInput={(e) => setQuery(e.currentTarget.value)} />
      <p class="hint" role="status">
        {shown.length} of {props.entries.length}
      </p>
      <ul>
        {shown.map((entry) => (
          <li key={entry.key}>
            <button
              type="button"
              class="entry"
              aria-current={entry.key === props.chosen ? "true" : undefined}
              onClick={() => props.onChoose(entry.key)}
            >
              <span class="entry-name">{entry.name}</span>
              {entry.description ? <span class="entry-description">{entry.description}</span> : null}
            </button>
          </li>
        ))}
      </ul>
    </nav>
  );
}
