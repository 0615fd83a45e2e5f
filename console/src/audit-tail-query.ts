/** The tail's server-side filters; empty fields are left out. */
export interface TailFilter {
  consumer: string;
  server: string;
  decision: string;
}

/** The query of `/audit/stream` for `filter` (names and decisions, never a credential). */
export function tailQuery(filter: TailFilter): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(filter)) if (value.trim() !== "") query.set(key, value.trim());
  const text = query.toString();
  return text === "" ? "" : `?${text}`;
}
