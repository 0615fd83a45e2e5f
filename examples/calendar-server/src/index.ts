import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { RunningServer, StartOptions } from "@mcp-gateway/example-kit";
import { hostHeaderValidation, originValidation, toNodeHandler } from "@modelcontextprotocol/node";
import {
  createMcpHandler,
  createRequestStateCodec,
  localhostAllowedHostnames,
  type McpHttpHandler,
} from "@modelcontextprotocol/server";
import type { BookingState } from "./booking";
import { Calendar } from "./calendar";
import { createCalendarMcpServer, TODAY_URI } from "./calendar-mcp-server";

export type { RunningServer, StartOptions } from "@mcp-gateway/example-kit";
export { CONFIRM_KEY, type BookingOutcome, type BookingState } from "./booking";
export { Calendar, DAY_END, DAY_START, SEED_EVENTS, type CalendarEvent, type FreeSlot } from "./calendar";
export {
  CALENDAR_CACHE_HINTS,
  CALENDAR_SERVER_NAME,
  createCalendarMcpServer,
  EVENT_URI_TEMPLATE,
  TODAY_URI,
} from "./calendar-mcp-server";

/** Port the calendar server listens on when none is given. */
export const DEFAULT_CALENDAR_PORT = 9104;

/** How long a book_meeting question stays answerable (the requestState's lifetime). */
const CONFIRMATION_TTL_SECONDS = 600;

/**
 * The calendar's MCP handler: 2026-07-28 only (`legacy: "reject"`: a 2025 `initialize` gets -32022 naming the
 * supported revision), stateless, one McpServer per request over one shared calendar. A booking publishes
 * `resources/list_changed` and `resources/updated` for calendar://today on every open `subscriptions/listen` stream.
 */
export function createCalendarHandler(calendar = new Calendar()): McpHttpHandler {
  // A per-process key: one process serves every round of a booking (documented limit of this example).
  const requestState = createRequestStateCodec<BookingState>({
    key: randomBytes(32),
    ttlSeconds: CONFIRMATION_TTL_SECONDS,
  });
  const deps = {
    calendar,
    requestState,
    onBooked: () => {
      handler.notify.resourcesChanged();
      handler.notify.resourceUpdated(TODAY_URI);
    },
  };
  const handler = createMcpHandler(() => createCalendarMcpServer(deps), { legacy: "reject" });
  return handler;
}

/**
 * Starts the calendar MCP server at `http://<host>:<port>/mcp`. Host and Origin are checked before the handler (the
 * SDK's DNS-rebinding guards): localhost names by default, or exactly `allowedHosts` (e.g. a compose service name).
 */
export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const host = options.host ?? "127.0.0.1";
  const handler = createCalendarHandler();
  const allowed = options.allowedHosts ? [...options.allowedHosts] : localhostAllowedHostnames();
  const guards = [hostHeaderValidation(allowed), originValidation(allowed)];
  const serve = toNodeHandler(handler);
  const http = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (new URL(req.url ?? "/", "http://calendar").pathname !== "/mcp") {
      res.writeHead(404, { "content-type": "text/plain" }).end("Not found: the MCP endpoint is /mcp\n");
      return;
    }
    if (guards.every((guard) => guard(req, res))) void serve(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(options.port ?? DEFAULT_CALENDAR_PORT, host, () => {
      http.off("error", reject);
      resolve();
    });
  });
  const { port } = http.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    // Ends in-flight exchanges and open listen streams, then whatever idle keep-alive connection remains.
    await handler.close();
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  };
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}/mcp`,
    port,
    close: () => (closing ??= close()),
  };
}
