/** One Server-Sent Event (only the fields MCP uses). */
export interface SseEvent {
  event: string;
  data: string;
  id: string | undefined;
}

/**
 * Parses a complete SSE text into events, per the HTML SSE rules: `\n`, `\r\n` or `\r` line ends (mixed too), a blank
 * line ends an event, multi-line data, comments, an empty `event:` meaning "message", a leading BOM. Unlike a live
 * stream, a last event not followed by a blank line is kept: the text is the whole reply.
 */
export function parseSse(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  let data: string[] = [];
  let event = "";
  let id: string | undefined;
  const dispatch = (): void => {
    if (data.length > 0) events.push({ event: event === "" ? "message" : event, data: data.join("\n"), id });
    data = [];
    event = "";
    id = undefined;
  };
  for (const line of text.replace(/^\uFEFF/, "").split(/\r\n|\n|\r/)) {
    if (line === "") {
      dispatch();
      continue;
    }
    if (line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") data.push(value);
    else if (field === "event") event = value;
    else if (field === "id") id = value;
  }
  dispatch();
  return events;
}
