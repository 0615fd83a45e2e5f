import { resolve } from "node:path";
import type { JSONRPCMessage, RequestId } from "@modelcontextprotocol/sdk/types.js";
import { createLogger, type Logger } from "../logging";
import { StdioInstance, type StdioLaunch } from "./stdio-instance";

// A real stdio MCP server (server-everything, installed by `npm ci`), no mocks: spawned, killed and restarted.

const EVERYTHING = resolve(__dirname, "../../../node_modules/@modelcontextprotocol/server-everything/dist/index.js");
const INIT = { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "test", version: "1" } };

function logged(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) };
  return { logger: createLogger({ level: "info", sink }), lines };
}

function launch(overrides: Partial<StdioLaunch> = {}): StdioLaunch {
  return {
    name: "everything",
    command: process.execPath,
    args: [EVERYTHING, "stdio"],
    env: {},
    initialBackoffMs: 50,
    maxBackoffMs: 400,
    initTimeoutMs: 10_000,
    shared: true,
    ...overrides,
  };
}

async function until(done: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Attaches a session that records the replies it receives. */
function replies(instance: StdioInstance, id: string): { inbox: [JSONRPCMessage, RequestId | undefined][] } {
  const inbox: [JSONRPCMessage, RequestId | undefined][] = [];
  // Replies only: server-everything also announces list changes of its own.
  instance.attach({ id, send: (message, related) => void ("id" in message && inbox.push([message, related])) });
  return { inbox };
}

describe("StdioInstance", () => {
  let instance: StdioInstance | undefined;
  afterEach(async () => {
    await instance?.stop();
    instance = undefined;
  });

  it("refuses an executable that cannot start with its reason, and retries with a doubling back-off", async () => {
    const { logger, lines } = logged();
    instance = new StdioInstance(launch({ command: "/nonexistent/mcp-server" }), logger);
    await expect(instance.initialize(INIT)).rejects.toThrow(
      'stdio server "everything" could not start: spawn /nonexistent/mcp-server ENOENT',
    );
    await until(() => lines.filter((l) => l["msg"] === "stdio server down; restarting").length >= 4);
    const delays = lines.filter((l) => l["msg"] === "stdio server down; restarting").map((l) => l["restartInMs"]);
    expect(delays.slice(0, 4)).toEqual([50, 100, 200, 400]);
  });

  it("answers a call in flight with an error when the process dies, refuses calls while down, then serves again", async () => {
    const { logger, lines } = logged();
    instance = new StdioInstance(launch({ initialBackoffMs: 1_000 }), logger);
    await instance.initialize(INIT);
    const { inbox } = replies(instance, "s");
    const pid = instance.pid;
    if (pid === undefined) throw new Error("no pid");
    // A call that takes long enough to be in flight when the process is killed.
    const slow = { name: "trigger-long-running-operation", arguments: { duration: 5, steps: 5 } };
    instance.fromSession("s", { jsonrpc: "2.0", id: 1, method: "tools/call", params: slow });
    await new Promise((r) => setTimeout(r, 200));
    process.kill(pid, "SIGKILL");
    await until(() => inbox.length >= 1);
    expect(inbox[0]).toEqual([
      {
        jsonrpc: "2.0",
        id: 1,
        error: {
          code: -32603,
          message: 'stdio server "everything" went down (the process exited); it is being restarted',
        },
      },
      1,
    ]);
    // Within the 1 s back-off: refused at once, not held.
    instance.fromSession("s", { jsonrpc: "2.0", id: 9, method: "tools/list" });
    expect(inbox[1]?.[0]).toMatchObject({ id: 9, error: { message: expect.stringContaining("is down") } });
    await until(() => lines.filter((l) => l["msg"] === "stdio server started").length >= 2);
    expect(instance.pid).not.toBe(pid);
    instance.fromSession("s", {
      jsonrpc: "2.0",
      id: 2,
      method: "tools/call",
      params: { name: "echo", arguments: { message: "x" } },
    });
    await until(() => inbox.length >= 3);
    expect(inbox[2]?.[0]).toMatchObject({ id: 2, result: { content: [{ type: "text", text: "Echo: x" }] } });
    expect(lines.some((l) => l["msg"] === "stdio server stderr" && l["server"] === "everything")).toBe(true);
  });

  it("ends the process on stop and does not restart it", async () => {
    const { logger, lines } = logged();
    instance = new StdioInstance(launch(), logger);
    await instance.initialize(INIT);
    const pid = instance.pid;
    await instance.stop();
    expect(() => process.kill(pid ?? 0, 0)).toThrow();
    await new Promise((r) => setTimeout(r, 200));
    expect(lines.filter((l) => l["msg"] === "stdio server down; restarting")).toEqual([]);
    await expect(instance.initialize(INIT)).rejects.toThrow('stdio server "everything" is stopped');
  });

  it("logs a huge stderr line cut to 8 KiB with the dropped bytes, and at most the per-second rate of lines", async () => {
    const { logger, lines } = logged();
    // 1 huge line and 500 short ones at once, one more after the one-second window; it never answers initialize.
    const script = [
      "process.stderr.write('x'.repeat(100000) + '\\n');",
      "for (let i = 0; i < 500; i++) process.stderr.write('l' + i + '\\n');",
      "setTimeout(() => process.stderr.write('last\\n'), 1500); setInterval(() => {}, 1000);",
    ].join(" ");
    instance = new StdioInstance(launch({ args: ["-e", script], initTimeoutMs: 30_000 }), logger);
    void instance.initialize(INIT).catch(() => undefined);
    const stderr = () => lines.filter((l) => l["msg"] === "stdio server stderr");
    await until(() => stderr().some((l) => l["line"] === "last"));
    expect(stderr()[0]).toMatchObject({ line: "x".repeat(8192), droppedBytes: 100000 - 8192 });
    expect(stderr().length).toBe(51);
    const dropped = lines.filter((l) => l["msg"] === "stdio server stderr lines dropped (rate limit)");
    expect(dropped).toEqual([expect.objectContaining({ server: "everything", lines: 502 - 51 })]);
  });

  it.each([
    [true, false],
    [false, true],
  ])(
    "shared %s: initializes the process with the client's elicitation/sampling capability: %s",
    async (shared, offered) => {
      const { logger } = logged();
      const served = new StdioInstance(launch({ shared }), logger);
      instance = served;
      const capabilities = { elicitation: {}, sampling: {}, roots: { listChanged: true } };
      await served.initialize({ ...INIT, capabilities });
      const inbox: JSONRPCMessage[] = [];
      served.attach({ id: "s", send: (message) => void inbox.push(message) });
      // server-everything registers these tools after initialized: listed once they are (bounded polling).
      const listed = async (n: number): Promise<string[]> => {
        served.fromSession("s", { jsonrpc: "2.0", id: n, method: "tools/list" });
        await until(() => inbox.some((m) => (m as { id?: unknown }).id === n));
        const reply = inbox.find((m) => (m as { id?: unknown }).id === n) as unknown as {
          result: { tools: { name: string }[] };
        };
        return reply.result.tools.map((t) => t.name);
      };
      let names = await listed(1);
      for (let n = 2; n < 20 && !names.includes("echo"); n += 1) names = await listed(n);
      // server-everything registers these tools only for a client that declared the capability.
      expect(names.includes("trigger-elicitation-request")).toBe(offered);
      expect(names.includes("trigger-sampling-request")).toBe(offered);
    },
  );
});
