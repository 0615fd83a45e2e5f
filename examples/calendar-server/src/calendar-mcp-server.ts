import {
  McpServer,
  ResourceNotFoundError,
  ResourceTemplate,
  type CacheHint,
  type CallToolResult,
  type ReadResourceResult,
} from "@modelcontextprotocol/server";
import { z } from "zod";
import { bookingArgs, bookMeeting, type BookingDeps } from "./booking";
import { DAY_END, DAY_START, type Calendar } from "./calendar";

/** Name in the MCP `serverInfo` and in the ready line. */
export const CALENDAR_SERVER_NAME = "calendar";
/** The resource with today's agenda; updated (and announced) whenever a meeting is booked. */
export const TODAY_URI = "calendar://today";
/** One resource per meeting, listed through this template; the list changes (and is announced) on every booking. */
export const EVENT_URI_TEMPLATE = "calendar://events/{id}";

/** The tools, prompt and template never change while the server runs; the event list does, and says so. */
const STATIC_LIST: CacheHint = { ttlMs: 300_000, cacheScope: "public" };
/**
 * Cache hints (SEP-2549) of the cacheable lists. Every caller sees the same calendar, so all are `public`. The
 * resource list changes with bookings: a short TTL, and `notifications/resources/list_changed` on listen streams.
 */
export const CALENDAR_CACHE_HINTS = {
  "server/discover": STATIC_LIST,
  "tools/list": STATIC_LIST,
  "prompts/list": STATIC_LIST,
  "resources/templates/list": STATIC_LIST,
  "resources/list": { ttlMs: 30_000, cacheScope: "public" },
} as const satisfies Record<string, CacheHint>;

const time = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be HH:MM (24 h)");

/** Builds the McpServer of one request (the SDK's handler calls this per request); the calendar is shared. */
export function createCalendarMcpServer(deps: BookingDeps): McpServer {
  const server = new McpServer(
    { name: CALENDAR_SERVER_NAME, version: "0.1.0" },
    {
      // Declared up front: the factory registers everything, but listen streams need listChanged/subscribe known.
      capabilities: { resources: { subscribe: true, listChanged: true } },
      cacheHints: CALENDAR_CACHE_HINTS,
      // A tampered, expired or foreign requestState is refused with -32602 before book_meeting runs.
      requestState: { verify: deps.requestState.verify },
    },
  );
  registerTools(server, deps);
  registerResources(server, deps.calendar);
  registerPrompt(server);
  return server;
}

function registerTools(server: McpServer, deps: BookingDeps): void {
  const { calendar } = deps;
  server.registerTool(
    "list_events",
    { description: "Today's meetings, earliest first.", annotations: { readOnlyHint: true } },
    () => json({ events: calendar.events() }),
  );
  server.registerTool(
    "find_free_slot",
    {
      description: `The earliest free slot today (working hours ${DAY_START}-${DAY_END}) of the given length.`,
      inputSchema: z.object({
        durationMinutes: z.number().int().min(5).max(480).describe("Length in minutes (5..480)"),
        notBefore: time.optional().describe(`Earliest start, HH:MM (default ${DAY_START})`),
      }),
      annotations: { readOnlyHint: true },
    },
    ({ durationMinutes, notBefore }) => json({ slot: calendar.findFreeSlot(durationMinutes, notBefore) ?? null }),
  );
  server.registerTool(
    "book_meeting",
    {
      description: "Books a meeting today after the user confirms it (asks through an input_required result).",
      inputSchema: bookingArgs,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
    },
    (args, ctx) => bookMeeting(deps, args, ctx),
  );
}

function registerResources(server: McpServer, calendar: Calendar): void {
  server.registerResource(
    "today",
    TODAY_URI,
    { description: "Today's agenda, one meeting per line.", mimeType: "text/plain" },
    (uri) =>
      text(
        uri,
        calendar.events().map((e) => `${e.start}-${e.end} ${e.title} (${e.id})`),
      ),
  );
  const events = new ResourceTemplate(EVENT_URI_TEMPLATE, {
    list: () => ({
      resources: calendar.events().map((e) => ({
        uri: `calendar://events/${e.id}`,
        name: e.id,
        title: `${e.start} ${e.title}`,
        mimeType: "application/json",
      })),
    }),
  });
  server.registerResource(
    "event",
    events,
    { description: "One meeting as JSON.", mimeType: "application/json" },
    (uri, { id }) => {
      const event = typeof id === "string" ? calendar.event(id) : undefined;
      if (event === undefined) throw new ResourceNotFoundError(uri.href);
      return { contents: [{ uri: uri.href, mimeType: "application/json", text: JSON.stringify(event) }] };
    },
  );
}

function registerPrompt(server: McpServer): void {
  server.registerPrompt(
    "plan_meeting",
    {
      description: "Ask the assistant to find a slot and book a meeting on a topic.",
      argsSchema: z.object({ topic: z.string().min(1), durationMinutes: z.string().regex(/^\d+$/).optional() }),
    },
    ({ topic, durationMinutes }) => ({
      messages: [
        {
          role: "user",
          content: {
            type: "text",
            text:
              `Plan a ${durationMinutes ?? "30"}-minute meeting about ${topic} today: use find_free_slot, ` +
              `then book_meeting with that slot (I will be asked to confirm).`,
          },
        },
      ],
    }),
  );
}

function json(value: unknown): CallToolResult {
  return { content: [{ type: "text", text: JSON.stringify(value) }] };
}

function text(uri: URL, lines: string[]): ReadResourceResult {
  return { contents: [{ uri: uri.href, mimeType: "text/plain", text: lines.join("\n") }] };
}
