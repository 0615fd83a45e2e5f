import type { RunningServer } from "@mcp-gateway/example-kit";
import { Client as ClientV2, StreamableHTTPClientTransport as TransportV2 } from "@modelcontextprotocol/client";
import { Client as ClientV1 } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport as TransportV1 } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  PromptListChangedNotificationSchema,
  ToolListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { pollUntil, withDeadline } from "../support/bounded-wait";
import { startConformanceFixture } from "./fixture-server";
import { startModernConformanceFixture } from "./modern-fixture-server";

// The list-change triggers must change the list FOR EVERYONE: an aggregating gateway re-lists an upstream from its
// own session when told the list changed, and announces only a list that really changed. So a trigger called by one
// client must reach another client's session (2025: its GET stream; 2026: its listen stream) and that client's next
// list must differ, with every tool and prompt name unchanged.

const WAIT_MS = 5_000;

/** What one watching client sees: the notifications it got and the two lists (names, descriptions) it fetches. */
interface Watcher {
  notified(): { tools: number; prompts: number };
  toolList(): Promise<Record<string, string | undefined>>;
  promptList(): Promise<Record<string, string | undefined>>;
  close(): Promise<void>;
}

type Named = { name: string; description?: string };
const byName = (items: Named[]): Record<string, string | undefined> =>
  Object.fromEntries(items.map((item) => [item.name, item.description]));

async function legacyWatcher(url: string): Promise<Watcher> {
  const seen = { tools: 0, prompts: 0 };
  let opened: () => void = () => undefined;
  const getOpen = new Promise<void>((resolve) => (opened = resolve));
  // The server drops announcements while a session has no GET stream: wait for it before triggering.
  const watching: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    if (init?.method === "GET" && response.ok) opened();
    return response;
  };
  const client = new ClientV1({ name: "watcher", version: "1.0.0" });
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => void seen.tools++);
  client.setNotificationHandler(PromptListChangedNotificationSchema, () => void seen.prompts++);
  await client.connect(new TransportV1(new URL(url), { fetch: watching }));
  await withDeadline(getOpen, WAIT_MS, "the watcher's GET stream");
  return {
    notified: () => ({ ...seen }),
    toolList: async () => byName((await client.listTools()).tools),
    promptList: async () => byName((await client.listPrompts()).prompts),
    close: () => client.close(),
  };
}

async function modernWatcher(url: string): Promise<Watcher> {
  const seen = { tools: 0, prompts: 0 };
  const client = new ClientV2(
    { name: "watcher", version: "1.0.0" },
    { versionNegotiation: { mode: { pin: "2026-07-28" } } },
  );
  client.setNotificationHandler("notifications/tools/list_changed", () => void seen.tools++);
  client.setNotificationHandler("notifications/prompts/list_changed", () => void seen.prompts++);
  await client.connect(new TransportV2(new URL(url)));
  await client.listen({ toolsListChanged: true, promptsListChanged: true });
  return {
    notified: () => ({ ...seen }),
    toolList: async () => byName((await client.listTools()).tools),
    promptList: async () => byName((await client.listPrompts()).prompts),
    close: () => client.close(),
  };
}

async function actorOf(generation: "2025" | "2026", url: string) {
  if (generation === "2025") {
    const client = new ClientV1({ name: "actor", version: "1.0.0" });
    await client.connect(new TransportV1(new URL(url)));
    return { call: (name: string) => client.callTool({ name, arguments: {} }), close: () => client.close() };
  }
  const client = new ClientV2(
    { name: "actor", version: "1.0.0" },
    { versionNegotiation: { mode: { pin: "2026-07-28" } } },
  );
  await client.connect(new TransportV2(new URL(url)));
  return { call: (name: string) => client.callTool({ name, arguments: {} }), close: () => client.close() };
}

const fixtures: [string, "2025" | "2026", () => Promise<RunningServer>, (url: string) => Promise<Watcher>][] = [
  ["the SDK v1 fixture (2025)", "2025", () => startConformanceFixture({ port: 0 }), legacyWatcher],
  ["the SDK v2 fixture (2026)", "2026", () => startModernConformanceFixture({ port: 0 }), modernWatcher],
];

describe.each(fixtures)("list-change triggers of %s", (_label, generation, start, watch) => {
  let fixture: RunningServer;
  let watcher: Watcher;
  let actor: Awaited<ReturnType<typeof actorOf>>;

  beforeAll(async () => {
    fixture = await start();
    watcher = await watch(fixture.url);
    actor = await actorOf(generation, fixture.url);
  });
  afterAll(async () => {
    await actor.close();
    await watcher.close();
    await fixture.close();
  });

  it.each([
    ["test_trigger_tool_change", "tools", "test_trigger_tool_change"],
    ["test_trigger_prompt_change", "prompts", "test_simple_prompt"],
  ] as const)("%s from another client changes the %s list for the watcher, names kept", async (trigger, list, item) => {
    const read = list === "tools" ? () => watcher.toolList() : () => watcher.promptList();
    const before = await read();
    const notifiedBefore = watcher.notified()[list];
    await actor.call(trigger);
    const notified = await pollUntil(() => watcher.notified()[list] > notifiedBefore, WAIT_MS);
    const after = await read();
    expect({
      notified,
      names: Object.keys(after).sort(),
      changed: Object.keys(after).filter((name) => after[name] !== before[name]),
      carrier: after[item],
    }).toEqual({
      notified: true,
      names: Object.keys(before).sort(),
      changed: [item],
      carrier: expect.stringMatching(/\(list generation 1\)$/) as unknown,
    });
  });
});
