import { readFile, writeFile } from "node:fs/promises";
import { hashApiKey } from "@mcp-gateway/core";
import { Client as ClientV1 } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport as TransportV1 } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { Client as ClientV2, StreamableHTTPClientTransport as TransportV2 } from "@modelcontextprotocol/client";
import { pollUntil } from "../support/bounded-wait";
import { connectClient, type ConnectedClient } from "./mcp-client";
import { startGatewayStack, type GatewayStack, type StackMode } from "./gateway-stack";

jest.setTimeout(120_000);

// Issue 17 item 3: list_changed per endpoint. A client is told a list changed only when what IT can list there
// changed: the notes server adding a tool tells /mcp/notes and a virtual server picking that tool, not /mcp/weather
// nor a virtual server whose picks did not change. On 2025 GET streams and 2026 listen streams, in both modes.
const MODES: [string, StackMode][] = [
  ["standalone", { kind: "standalone" }],
  ["Envoy mode (real Envoy), router and broker in one process", { kind: "envoy", store: "memory" }],
];

const KEY = "ops-key-0123456789abcdef0123456789abcd";
const EVERYTHING = `{ tools: ["*"], prompts: ["*"], resources: ["*"] }`;
const NOTES_ONLY = `{ tools: ["notes_*"], prompts: ["*"], resources: ["*"] }`;
const ACCESS = `auth: { apiKeys: { header: authorization } }
consumers:
  - { name: ops, keyHash: "${hashApiKey(KEY)}", policy: ops }
policies:
  ops: ${EVERYTHING}
virtualServers:
  - { name: team, tools: [{ server: weather, name: get_forecast }, { server: notes, name: list_notes }] }
  # A 2026 client is offered tools/list_changed only where it can list a tool: search starts with add_note.
  - { name: search, tools: [{ server: notes, name: add_note }, { server: notes, name: search_notes }] }
`;
const PATHS = ["/mcp/notes", "/mcp/weather", "/mcp/virtual/team", "/mcp/virtual/search"] as const;
type Path = (typeof PATHS)[number];
const TIMEOUT = { timeout: 10_000 };
const headers = { authorization: `Bearer ${KEY}` };

/** A 2025 client (GET stream) and a 2026 client (listen stream) at one endpoint, counting tools/list_changed. */
interface Watcher {
  seen: { legacy: number; modern: number };
  close(): Promise<void>;
}

async function watch(url: string): Promise<Watcher> {
  const seen = { legacy: 0, modern: 0 };
  const v1 = new ClientV1({ name: "endpoint-changes-legacy", version: "1.0.0" });
  v1.setNotificationHandler(ToolListChangedNotificationSchema, () => void seen.legacy++);
  await v1.connect(new TransportV1(new URL(url), { requestInit: { headers } }));
  const v2 = new ClientV2(
    { name: "endpoint-changes-modern", version: "1.0.0" },
    { capabilities: {}, versionNegotiation: { mode: { pin: "2026-07-28" } } },
  );
  v2.setNotificationHandler("notifications/tools/list_changed", () => void seen.modern++);
  await v2.connect(new TransportV2(new URL(url), { requestInit: { headers } }), TIMEOUT);
  const listening = await v2.listen({ toolsListChanged: true }, TIMEOUT);
  return {
    seen,
    close: async () => {
      await listening.close().catch(() => undefined);
      await v2.close().catch(() => undefined);
      await v1.close().catch(() => undefined);
    },
  };
}

async function openStreams(stack: GatewayStack): Promise<number> {
  const status = (await (await fetch(`${stack.brokerBase}/status`)).json()) as { openStreams: number };
  return status.openStreams;
}

describe.each(MODES)("list_changed per endpoint (%s)", (_label, mode) => {
  let stack: GatewayStack;
  let trigger: ConnectedClient;
  const watchers = new Map<Path, Watcher>();
  const told = (path: Path): { legacy: number; modern: number } => ({ ...watchers.get(path)?.seen }) as never;
  const heard = (paths: readonly Path[]) => () => paths.every((path) => told(path).legacy > 0 && told(path).modern > 0);

  beforeAll(async () => {
    stack = await startGatewayStack(mode, { access: ACCESS });
    const base = stack.url.replace(/\/mcp$/, "");
    for (const path of PATHS) watchers.set(path, await watch(`${base}${path}`));
    trigger = await connectClient(`${base}/mcp/notes`, "endpoint-changes-trigger", headers);
    // The 2025 client opens its GET stream after initialize: a notification sent before would be lost.
    if (!(await pollUntil(async () => (await openStreams(stack)) >= PATHS.length, 10_000)))
      throw new Error("GET streams not open");
  });
  afterAll(async () => {
    await Promise.all([...watchers.values()].map((watcher) => watcher.close()));
    await trigger?.close();
    await stack?.stop();
  });

  it("tells only the endpoints whose own listing a changed upstream touched", async () => {
    await trigger.client.callTool({ name: "enable_search", arguments: {} });
    expect(await pollUntil(heard(["/mcp/notes", "/mcp/virtual/search"]), 15_000)).toBe(true);
    expect(told("/mcp/notes")).toEqual({ legacy: 1, modern: 1 });
    expect(told("/mcp/virtual/search")).toEqual({ legacy: 1, modern: 1 });

    // Positive control: a reload that takes the weather tools away changes /mcp/weather's and the team's listings.
    // Each stream carries its notifications in order, so had the tool added to notes been announced to them, that
    // announcement would be counted before this one.
    const yaml = await readFile(stack.configPath, "utf8");
    await writeFile(stack.configPath, yaml.replace(`ops: ${EVERYTHING}`, `ops: ${NOTES_ONLY}`));
    expect(await pollUntil(heard(["/mcp/weather", "/mcp/virtual/team"]), 15_000)).toBe(true);
    expect(told("/mcp/weather")).toEqual({ legacy: 1, modern: 1 });
    expect(told("/mcp/virtual/team")).toEqual({ legacy: 1, modern: 1 });
    // The same pass wrote every stream: notes and search, whose listings the reload left alone, heard nothing more.
    const more = (path: Path): boolean => told(path).legacy + told(path).modern > 2;
    expect(await pollUntil(() => more("/mcp/notes") || more("/mcp/virtual/search"), 1_000)).toBe(false);
    expect(told("/mcp/notes")).toEqual({ legacy: 1, modern: 1 });
    expect(told("/mcp/virtual/search")).toEqual({ legacy: 1, modern: 1 });
  });
});
