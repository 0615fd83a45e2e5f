import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { LoggingMessageNotificationSchema, type LoggingMessageNotification } from "@modelcontextprotocol/sdk/types.js";

/** The prefix the gateway gives server-everything's tools, prompts, resource URIs and templates (the default). */
export const EVERYTHING_PREFIX = "everything_";

/** What the gateway puts in front of server-everything's resource URIs and templates (the default: docs/resource-uris.md). */
export const EVERYTHING_URI_PREFIX = "everything+";

/** Prefixes (of names, of URIs) of the example servers every gateway stack also carries: not server-everything's. */
const OTHER_PREFIXES = ["weather_", "notes_", "weather+", "notes+"];

/** How long to wait for the client's GET stream, and for an expected log message, before giving up. */
const WAIT_MS = 3_000;

/**
 * One way to reach server-everything: directly (no prefix) or through a gateway (`everything_`). `expose` turns
 * server-everything's own name into the one to send; `reveal` turns what came back into server-everything's own name.
 */
export interface Target {
  client: Client;
  /** The log messages (`notifications/message` params) received so far. */
  logs: LoggingMessageNotification["params"][];
  expose(name: string): string;
  reveal(name: string): string;
  /** `expose` and `reveal` for resource URIs and templates. */
  exposeUri(uri: string): string;
  revealUri(uri: string): string;
  close(): Promise<void>;
}

/**
 * Connects a real SDK client and waits until its GET stream is open: the server sends messages outside any call (log
 * messages here) only on that stream and drops them while there is none, so without the wait the first ones race.
 */
export async function connectTarget(url: string, prefix: string, uriPrefix = ""): Promise<Target> {
  let getOpened: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (getOpened = resolve));
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    // The SDK client (1.32) counts only results as answers, so it "resumes" a POST stream that ended with an error
    // response when the server made it resumable (server-everything does); its retry timers then outlive the client.
    // No stream is meant to drop in this test, so there is nothing to resume.
    reconnectionOptions: {
      maxRetries: 0,
      initialReconnectionDelay: 0,
      maxReconnectionDelay: 0,
      reconnectionDelayGrowFactor: 1,
    },
    fetch: async (input, init) => {
      const response = await fetch(input, init);
      if (init?.method === "GET" && response.ok) getOpened();
      return response;
    },
  });
  const client = new Client({ name: "differential", version: "1.0.0" });
  const logs: Target["logs"] = [];
  client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
    logs.push(notification.params);
  });
  await client.connect(transport);
  await waitFor(opened, `the GET stream of ${url}`);
  return {
    client,
    logs,
    expose: (name) => prefix + name,
    // A name the gateway failed to prefix stays visibly different instead of being mapped to the direct one.
    reveal: (name) => (name.startsWith(prefix) ? name.slice(prefix.length) : `<not prefixed> ${name}`),
    exposeUri: (uri) => uriPrefix + uri,
    revealUri: (uri) => (uri.startsWith(uriPrefix) ? uri.slice(uriPrefix.length) : `<not prefixed> ${uri}`),
    close: () => client.close().catch(() => undefined),
  };
}

async function waitFor(promise: Promise<void>, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), WAIT_MS);
  });
  await Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Resolves once `done()` holds, or after the wait limit (the comparison then shows what is missing). */
export async function settleLogs(done: () => boolean): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
}

/** Items of a gateway list that are not the example servers' (a direct list has none of theirs). */
export function ownItems<T extends Record<string, unknown>>(items: T[], key: string): T[] {
  return items.filter((item) => !OTHER_PREFIXES.some((p) => String(item[key]).startsWith(p)));
}

/** Tools or prompts as server-everything itself names them (URIs are revealed by `normalise`). */
export function revealNames<T extends { name: string }>(target: Target, items: T[]): T[] {
  return ownItems(items, "name").map((item) => ({ ...item, name: target.reveal(item.name) }));
}

/** The outcome of a request: its result, or the JSON-RPC error it failed with (errors must match too). */
export async function outcome(request: Promise<unknown>): Promise<unknown> {
  try {
    return { result: await request };
  } catch (error: unknown) {
    const { code, message, data } = error as { code?: unknown; message?: unknown; data?: unknown };
    return { error: { code, message, data } };
  }
}

// The dynamic resources of server-everything embed the time they were made (toLocaleTimeString): never equal twice.
const CREATED_AT = /^(Resource \d+: This is a .+ created at ).+$/;

/**
 * A result with its nondeterminism removed and every resource URI (also inside contents, links and embedded
 * resources: the client must be able to read them back through the same endpoint) revealed. Blobs are decoded so
 * their timestamps can be removed as well.
 */
export function normalise(target: Target, value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => normalise(target, item));
  if (typeof value === "string") return value.replace(CREATED_AT, "$1<time>");
  if (value === null || typeof value !== "object") return value;
  const entries = Object.entries(value).map(([key, item]) => {
    if ((key === "uri" || key === "uriTemplate") && typeof item === "string") return [key, target.revealUri(item)];
    if (key === "blob" && typeof item === "string") {
      return [key, normalise(target, Buffer.from(item, "base64").toString("utf8"))];
    }
    return [key, normalise(target, item)];
  });
  return Object.fromEntries(entries);
}
