/** One Server-Sent Event (only the fields MCP uses). */
export interface SseEvent {
  event: string;
  data: string;
  id: string | undefined;
}

/** Parses a complete SSE text into events (per the HTML SSE rules: `\n`, `\r\n` or `\r` line ends, multi-line data). */
export function parseSse(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  for (const block of text.split(/\r\n\r\n|\n\n|\r\r/)) {
    const data: string[] = [];
    let event = "message";
    let id: string | undefined;
    for (const line of block.split(/\r\n|\n|\r/)) {
      if (line === "" || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "data") data.push(value);
      else if (field === "event") event = value;
      else if (field === "id") id = value;
    }
    if (data.length > 0) events.push({ event, data: data.join("\n"), id });
  }
  return events;
}
