import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { STDIO_BRIDGE_TOKEN_HEADER, stdioBridgeToken } from "@mcp-gateway/core";
import { pollUntil } from "../support/bounded-wait";
import { connectClient, type ConnectedClient } from "./mcp-client";
import { rawRequest } from "../support/raw-http";
import { startRedisServer, type RedisServer } from "../support/redis-server";
import {
  alive,
  STACK_SESSION_SECRET,
  startStdioStack,
  stdioServerScript,
  type StdioStack,
  type StdioStackKind,
} from "./stdio-stack";

// Real stdio MCP servers from npm, spawned and supervised by the gateway, reached through its loopback bridge: in
// standalone mode by the gateway's forwarder, in Envoy mode by Envoy on the rendered cluster to the bridge.

jest.setTimeout(120_000);

const text = (result: unknown): string => {
  const first = (result as CallToolResult).content[0];
  return first?.type === "text" ? first.text : JSON.stringify(result);
};

let redis: RedisServer | undefined;
afterAll(async () => redis?.stop());

const modes: [string, () => Promise<StdioStackKind>][] = [
  ["standalone", () => Promise.resolve("standalone")],
  ["Envoy mode, one process", () => Promise.resolve("envoy")],
  ["Envoy mode, router and broker apart, Redis", async () => ({ split: (redis ??= await startRedisServer()).url })],
];

describe.each(modes)("stdio upstreams (%s)", (_label, kind) => {
  let stack: StdioStack;
  let folder: string;
  let client: ConnectedClient;
  // Each gateway process (the router and the broker when apart) holds one listing session, so one process of a
  // perSession server; the cap leaves room for one client session more.
  let cap = 0;
  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), "mcp-stdio-fs-"));
    const node = JSON.stringify(process.execPath);
    const deployment = await kind();
    cap = typeof deployment === "object" ? 3 : 2;
    stack = await startStdioStack(deployment, [
      `name: everything, command: ${node}, args: ["${stdioServerScript("server-everything")}", stdio], stdio: { initialBackoff: 100ms }`,
      `name: memory, command: ${node}, args: ["${stdioServerScript("server-memory")}"], env: { MEMORY_FILE_PATH: "${join(folder, "memory.jsonl")}" }, stdio: { instances: perSession, maxInstances: ${cap} }`,
      `name: fs, command: ${node}, args: ["${stdioServerScript("server-filesystem")}", "${folder}"]`,
    ]);
    client = await connectClient(stack.url);
  });
  afterAll(async () => {
    await client?.close();
    await stack?.stop();
    await rm(folder, { recursive: true, force: true });
  });

  it("lists the tools of every stdio server and calls them", async () => {
    const names = (await client.client.listTools()).tools.map((tool) => tool.name);
    expect(names).toEqual(expect.arrayContaining(["everything_echo", "memory_create_entities", "fs_write_file"]));
    const echo = await client.client.callTool({ name: "everything_echo", arguments: { message: "through stdio" } });
    expect(text(echo)).toBe("Echo: through stdio");
    if (stack.envoy) {
      const route = await stack.envoy.routeSince(0, (r) => r.cluster === "mcp_server_everything");
      expect(route.status).toBe(200);
    }
  });

  it("multiplexes concurrent calls of several sessions onto the one shared process, each answered to its caller", async () => {
    const other = await connectClient(stack.url, "other-client");
    try {
      // Both SDK clients number their requests alike: the same JSON-RPC ids reach the one process at once.
      const calls = [client, other].flatMap((c, who) =>
        [0, 1, 2, 3, 4].map(async (n) => {
          const message = `client ${String(who)} call ${String(n)}`;
          return [message, text(await c.client.callTool({ name: "everything_echo", arguments: { message } }))];
        }),
      );
      for (const [message, answer] of await Promise.all(calls)) expect(answer).toBe(`Echo: ${String(message)}`);
      expect(new Set(stack.startedPids("everything")).size).toBe(1);
    } finally {
      await other.close();
    }
  });

  it("routes a shared process's progress notifications to the calling session only", async () => {
    const [a, b, idle] = await Promise.all(
      ["progress-a", "progress-b", "idle"].map((n) => connectClient(stack.url, n)),
    );
    if (!a || !b || !idle) throw new Error("clients not connected");
    const foreign: unknown[] = [];
    idle.client.fallbackNotificationHandler = (notification) => Promise.resolve(void foreign.push(notification));
    try {
      // Both SDK clients use their request id as progress token: the same tokens reach the one process at once.
      const run = async (c: ConnectedClient, steps: number) => {
        const seen: [number, number | undefined][] = [];
        const result = await c.client.callTool(
          { name: "everything_trigger-long-running-operation", arguments: { duration: 1, steps } },
          undefined,
          { onprogress: ({ progress, total }) => void seen.push([progress, total]), timeout: 30_000 },
        );
        return { seen, text: text(result) };
      };
      const [fromA, fromB] = await Promise.all([run(a, 4), run(b, 3)]);
      expect(fromA.text).toContain("Steps: 4.");
      expect(fromB.text).toContain("Steps: 3.");
      expect(fromA.seen).toEqual([1, 2, 3, 4].map((n) => [n, 4]));
      expect(fromB.seen).toEqual([1, 2, 3].map((n) => [n, 3]));
      expect(foreign.filter((n) => JSON.stringify(n).includes("progress"))).toEqual([]);
      expect(new Set(stack.startedPids("everything")).size).toBe(1);
    } finally {
      await Promise.all([a, b, idle].map((c) => c.close()));
    }
  });

  it("delivers a shared process's log messages to no session (they cannot be told apart by caller)", async () => {
    const [caller, idle] = await Promise.all(
      ["logging-caller", "logging-idle"].map((n) => connectClient(stack.url, n)),
    );
    if (!caller || !idle) throw new Error("clients not connected");
    const logs: unknown[] = [];
    for (const c of [caller, idle]) {
      c.client.fallbackNotificationHandler = (n) =>
        Promise.resolve(void (n.method === "notifications/message" && logs.push(n)));
    }
    try {
      // server-everything sends its first simulated log line at once, then one every 5 s.
      const started = await caller.client.callTool({ name: "everything_toggle-simulated-logging", arguments: {} });
      expect(text(started)).toContain("Started simulated");
      expect(await pollUntil(() => logs.length > 0, 2_000)).toBe(false);
      await caller.client.callTool({ name: "everything_toggle-simulated-logging", arguments: {} });
    } finally {
      await Promise.all([caller, idle].map((c) => c.close()));
    }
  });

  it("serves the bridge to the gateway only: without its token, a wrong one, another Host or any Origin, refused", async () => {
    const initialize = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: {} });
    const post = (headers: Record<string, string>) =>
      rawRequest(stack.bridgePort, "/stdio/everything/mcp", {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
        chunks: [initialize],
      });
    const own = `127.0.0.1:${String(stack.bridgePort)}`;
    const token = stdioBridgeToken(STACK_SESSION_SECRET);
    // Any local process reaching loopback, without the gateway's token: refused before a process sees anything.
    const missing = await post({ host: own });
    expect(missing.status).toBe(401);
    expect(missing.body).toContain(`no ${STDIO_BRIDGE_TOKEN_HEADER} header`);
    const wrong = await post({ host: own, [STDIO_BRIDGE_TOKEN_HEADER]: "guessed-bridge-token" });
    expect(wrong.status).toBe(403);
    expect(wrong.body).not.toContain("guessed-bridge-token");
    const withToken = { [STDIO_BRIDGE_TOKEN_HEADER]: token };
    expect((await post({ host: `rebound.example:${String(stack.bridgePort)}`, ...withToken })).status).toBe(403);
    expect((await post({ host: own, origin: "http://rebound.example", ...withToken })).status).toBe(403);
    expect([401, 403]).not.toContain((await post({ host: own, "content-type": "text/plain", ...withToken })).status);
    // The token is never logged.
    expect(stack.output()).not.toContain(token);
  });

  it("refuses an initialize without SSE in Accept (406) before a perSession process starts: no slot is lost", async () => {
    const before = stack.startedPids("memory").length;
    for (const n of [1, 2]) {
      const answer = await rawRequest(stack.bridgePort, "/stdio/memory/mcp", {
        method: "POST",
        headers: {
          host: `127.0.0.1:${String(stack.bridgePort)}`,
          "content-type": "application/json",
          accept: "application/json",
          [STDIO_BRIDGE_TOKEN_HEADER]: stdioBridgeToken(STACK_SESSION_SECRET),
        },
        chunks: [JSON.stringify({ jsonrpc: "2.0", id: n, method: "initialize", params: {} })],
      });
      expect(answer.status).toBe(406);
    }
    // No process started for them (the perSession test below still finds its one free slot).
    expect(stack.startedPids("memory")).toHaveLength(before);
  });

  it("strips a client-supplied bridge token: the call still carries the gateway's own, and succeeds", async () => {
    const spoofing = await connectClient(stack.url, "spoofing-client", { [STDIO_BRIDGE_TOKEN_HEADER]: "client-copy" });
    try {
      const echo = await spoofing.client.callTool({ name: "everything_echo", arguments: { message: "spoofed" } });
      expect(text(echo)).toBe("Echo: spoofed");
    } finally {
      await spoofing.close();
    }
  });

  it("serves a browser client's call (an allowed Origin): the Origin stops at the gateway, never reaching the bridge", async () => {
    const browser = await connectClient(stack.url, "browser-client", { origin: new URL(stack.url).origin });
    const since = Date.now();
    try {
      const echo = await browser.client.callTool({ name: "everything_echo", arguments: { message: "from a page" } });
      expect(text(echo)).toBe("Echo: from a page");
      if (stack.envoy) {
        // Routed by Envoy to the bridge (not replayed by the gateway after a refusal).
        const route = await stack.envoy.routeSince(since, (r) => r.cluster === "mcp_server_everything");
        expect(route.status).toBe(200);
      }
    } finally {
      await browser.close();
    }
  });

  it("runs the filesystem server on a temporary folder", async () => {
    const path = join(folder, "note.txt");
    await client.client.callTool({ name: "fs_write_file", arguments: { path, content: "written via the gateway" } });
    expect(await readFile(path, "utf8")).toBe("written via the gateway");
    const listed = await client.client.callTool({ name: "fs_list_directory", arguments: { path: folder } });
    expect(text(listed)).toContain("note.txt");
  });

  it("logs the servers' stderr lines with the server's name", () => {
    const stderrLines = stack
      .output()
      .split("\n")
      .filter((line) => line.includes('"msg":"stdio server stderr"'));
    expect(stderrLines.some((l) => l.includes('"server":"everything"') && l.includes("STDIO"))).toBe(true);
    expect(stderrLines.some((l) => l.includes('"server":"fs"'))).toBe(true);
  });

  it("runs a process per session (perSession) and refuses a session past stdio.maxInstances", async () => {
    const created = await client.client.callTool({
      name: "memory_create_entities",
      arguments: { entities: [{ name: "gateway", entityType: "thing", observations: ["spawned per session"] }] },
    });
    expect(created.isError).not.toBe(true);
    // The gateway's listing session(s) hold the others (apart, the router lists on its own, maybe later: awaited).
    expect(await pollUntil(() => new Set(stack.startedPids("memory")).size === cap, 15_000)).toBe(true);
    const second = await connectClient(stack.url, "second-client");
    try {
      const refused = await second.client.callTool({ name: "memory_read_graph", arguments: {} }).then(
        (result) => text(result),
        (error: unknown) => String(error),
      );
      // The bridge's refusal, through the gateway's "could not be initialized" (JSON-escaped in the SDK's error text).
      expect(refused).toMatch(/upstream .{0,4}memory.{0,4} could not be initialized/);
      expect(refused).toContain(`all ${cap} per-session processes are in use (stdio.maxInstances)`);
    } finally {
      await second.close();
    }
  });

  it("restarts a crashed process with back-off; calls work again", async () => {
    const [first] = stack.startedPids("everything");
    if (first === undefined) throw new Error("no pid logged for everything");
    process.kill(first, "SIGKILL");
    expect(await pollUntil(() => stack.startedPids("everything").length >= 2, 20_000)).toBe(true);
    expect(stack.output()).toContain('"msg":"stdio server down; restarting"');
    const works = await pollUntil(
      async () =>
        text(
          await client.client.callTool({ name: "everything_echo", arguments: { message: "again" } }).catch(String),
        ) === "Echo: again",
      20_000,
      200,
    );
    expect(works).toBe(true);
  });

  it("stops a server's process when a reload removes the server, and keeps the others", async () => {
    const [fs] = stack.startedPids("fs");
    if (fs === undefined) throw new Error("no pid logged for fs");
    const withoutFs = stack.yaml.replace(/^ {2}- \{ name: fs,.*\n/m, "");
    expect(withoutFs).not.toEqual(stack.yaml);
    await writeFile(stack.configPath, withoutFs);
    expect(await pollUntil(() => !alive(fs), 15_000)).toBe(true);
    expect(stack.startedPids("fs")).toEqual([fs]);
    const echo = await client.client.callTool({ name: "everything_echo", arguments: { message: "still here" } });
    expect(text(echo)).toBe("Echo: still here");
  });

  it("stops every process when the gateway shuts down (no orphans)", async () => {
    const pids = ["everything", "memory", "fs"].flatMap((server) => stack.startedPids(server));
    expect(pids.filter(alive).length).toBeGreaterThanOrEqual(3);
    await client.close();
    await stack.stopGateway();
    expect(await pollUntil(() => pids.every((pid) => !alive(pid)), 10_000)).toBe(true);
  });
});
