import { resolve } from "node:path";
import { createLogger, STDIO_BRIDGE_TOKEN_HEADER, type ServerConfig } from "@mcp-gateway/core";
import { rawRequest, type RawAnswer } from "../testing/raw-request";
import { StdioBridge } from "./stdio-bridge";

// A real stdio MCP server (server-everything), one process per session, behind a real bridge listener.

const EVERYTHING = resolve(__dirname, "../../../node_modules/@modelcontextprotocol/server-everything/dist/index.js");
const TOKEN = "bridge-token-0123456789abcdef";
const HOST = "bridge.test:7000";
const INIT = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } },
};
const VALID = { accept: "application/json, text/event-stream", "content-type": "application/json" };

const server = {
  name: "every",
  command: process.execPath,
  args: [EVERYTHING, "stdio"],
  stdio: { instances: "perSession", maxInstances: 2, initialBackoff: 250, maxBackoff: 1000 },
} as unknown as ServerConfig;

function bridgeWith(idleTimeoutMs: number, logged: string[] = []): StdioBridge {
  return new StdioBridge({
    logger: createLogger({ level: "info", sink: { write: (line: string) => void logged.push(line) } }),
    initTimeoutMs: 10_000,
    idleTimeoutMs,
    maxBodyBytes: 64 * 1024,
    requestTimeoutMs: 10_000,
    allowedHost: HOST,
    token: TOKEN,
  });
}

async function until(done: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("a perSession stdio server's process slots", () => {
  let bridge: StdioBridge;
  let base = "";
  afterEach(() => bridge.close());

  async function start(idleTimeoutMs: number, logged?: string[]): Promise<void> {
    bridge = bridgeWith(idleTimeoutMs, logged);
    await bridge.reconfigure([server]);
    base = `http://127.0.0.1:${String(await bridge.listen("127.0.0.1", 0))}`;
  }

  const initialize = (headers: Record<string, string>): Promise<RawAnswer> =>
    rawRequest(
      base,
      {
        method: "POST",
        path: "/stdio/every/mcp",
        headers: { host: HOST, [STDIO_BRIDGE_TOKEN_HEADER]: TOKEN, ...headers },
        body: JSON.stringify(INIT),
      },
      15_000,
    );

  it.each([
    [406, { accept: "application/json", "content-type": "application/json" }],
    // Not JSON: the body is not parsed, so this is no initialize (400); the pool's own 415 check is a second line.
    [400, { accept: VALID.accept, "content-type": "text/plain" }],
  ])("refuses with %i before starting a process, and the slots stay free", async (status, headers) => {
    await start(60_000);
    expect((await initialize(headers)).status).toBe(status);
    expect((await initialize(headers)).status).toBe(status);
    expect(bridge.pids()["every"]).toEqual([]);
    const answer = await initialize(VALID);
    expect(answer.status).toBe(200);
    expect(answer.text).not.toContain("per-session processes are in use");
    expect(bridge.pids()["every"]).toHaveLength(1);
  });

  it("ends a session whose initialize answer its client gave up waiting for, and frees its process", async () => {
    const logged: string[] = [];
    await start(60_000, logged);
    // The client stops waiting (50 ms) long before the process has started and answered.
    const gaveUp = (): Promise<RawAnswer> =>
      rawRequest(
        base,
        {
          method: "POST",
          path: "/stdio/every/mcp",
          headers: { host: HOST, [STDIO_BRIDGE_TOKEN_HEADER]: TOKEN, ...VALID },
          body: JSON.stringify(INIT),
        },
        50,
      );
    expect((await gaveUp()).status).toBe(0);
    expect((await gaveUp()).status).toBe(0);
    await until(() => logged.filter((line) => line.includes("initialize answer did not reach")).length === 2);
    await until(() => (bridge.pids()["every"] ?? []).length === 0);
    const answer = await initialize(VALID);
    expect(answer.status).toBe(200);
    expect(answer.text).not.toContain("per-session processes are in use");
  });

  it("stops on close every process it started", async () => {
    await start(60_000);
    expect((await initialize(VALID)).status).toBe(200);
    expect((await initialize(VALID)).status).toBe(200);
    const pids = bridge.pids()["every"] ?? [];
    expect(pids).toHaveLength(2);
    await bridge.close();
    await until(() => !pids.some(alive));
  });

  it("ends a session nobody used for the idle timeout, and frees its process", async () => {
    const logged: string[] = [];
    await start(1_000, logged);
    expect((await initialize(VALID)).status).toBe(200);
    const [pid] = bridge.pids()["every"] ?? [];
    expect(pid).toBeDefined();
    await until(() => (bridge.pids()["every"] ?? []).length === 0);
    await until(() => !alive(pid ?? 0));
    expect(logged.join("\n")).toContain("stdio bridge session idle: ended");
  });
});

describe("the stdio bridge's listen address", () => {
  it.each([
    ["0.0.0.0", true],
    ["127.0.0.1", false],
  ])("on %s warns that the token is the only gate: %s", async (host, warned) => {
    const logged: string[] = [];
    const bridge = bridgeWith(60_000, logged);
    await bridge.listen(host, 0);
    await bridge.close();
    expect(logged.some((line) => line.includes("the only gate"))).toBe(warned);
  });
});
