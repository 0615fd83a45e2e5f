import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startNode, type RunningProcess } from "@mcp-gateway/example-kit";
import { startServerEverything } from "@mcp-gateway/local-stack";
import { pollUntil } from "../support/bounded-wait";
import { freePort } from "../support/redis-server";
import { connectClient, rawPost, type ConnectedClient } from "./mcp-client";

jest.setTimeout(90_000);

// The standalone gateway's own access log (accessLog: { enabled, destination }) and its debug log, read back from a
// real gateway process in front of a real upstream (server-everything), everything on free loopback ports.
const KEY = "mcpgw_demo_ops_everything";
const AUTH = { authorization: `Bearer ${KEY}` };
const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";

type Line = Record<string, unknown>;

let dir: string;
let everything: RunningProcess;
let gateway: RunningProcess;
let url: string;
let accessPath: string;
let connected: ConnectedClient;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mcp-access-log-"));
  const [upstreamPort, port] = [await freePort(), await freePort()];
  everything = await startServerEverything(upstreamPort);
  accessPath = join(dir, "logs", "access.log");
  const configPath = join(dir, "gateway.yaml");
  await writeFile(
    configPath,
    `version: 1
auth: { apiKeys: { header: authorization } }
consumers:
  - { name: ops, keyHash: "sha256:22dedd2850a084af16578781f9d8b1a2d4a165901c693c927844de44a045e36f", policy: all }
policies:
  all: { servers: [everything], tools: ["everything_*"] }
servers:
  - { name: everything, url: "http://127.0.0.1:${upstreamPort}/mcp" }
sessions: { secret: "access-log-test-secret-0123456789abcdef" }
standalone: { listen: "127.0.0.1:${port}" }
accessLog: { enabled: true, destination: "${accessPath}" }
`,
  );
  gateway = startNode("cli/dist/main.js", ["serve", "--config", configPath, "--log-level", "debug"]);
  await gateway.waitFor(/gateway listening on/);
  url = `http://127.0.0.1:${port}/mcp`;
  const ready = await pollUntil(async () => {
    const status = (await (await fetch(`http://127.0.0.1:${port}/status`)).json()) as {
      upstreams: { state: string }[];
    };
    return status.upstreams.every((u) => u.state === "ready");
  }, 20_000);
  expect(ready).toBe(true);
  connected = await connectClient(url, "access-log-test", AUTH);
});

afterAll(async () => {
  await connected?.close();
  await gateway?.stop();
  await everything?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function accessLines(): Promise<Line[]> {
  const text = await readFile(accessPath, "utf8").catch(() => "");
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as Line);
}

/** The access-log line `match` accepts, once the gateway has written it (it writes when the response has ended). */
async function lineWhere(match: (line: Line) => boolean): Promise<Line> {
  let found: Line | undefined;
  const written = await pollUntil(async () => {
    found = (await accessLines()).find(match);
    return found !== undefined;
  }, 10_000);
  if (!written || !found) throw new Error(`no access-log line matched; have ${JSON.stringify(await accessLines())}`);
  return found;
}

const call = (id: number | string, name: string, args: Record<string, unknown>): string =>
  JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args } });

/** The gateway's JSON log lines (stderr) so far. */
function logLines(): Line[] {
  return gateway
    .output()
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Line);
}

describe("the standalone gateway's access log", () => {
  it("writes a line for a JSON tools/call: method, server, tool, consumer, ids, trace id, status, bytes", async () => {
    const headers = {
      ...AUTH,
      "mcp-session-id": connected.transport.sessionId ?? "",
      traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01`,
    };
    const reply = await rawPost(url, call("json-1", "everything_echo", { message: "hello" }), headers);
    expect(reply.status).toBe(200);
    const line = await lineWhere((l) => l["jsonrpc_id"] === "json-1");
    expect(line).toMatchObject({
      method: "POST",
      path: "/mcp",
      response_code: 200,
      mcp_method: "tools/call",
      mcp_server: "everything",
      mcp_target: "everything_echo",
      mcp_consumer: "ops",
      mcp_decision: "routed",
      mcp_reason: null,
      trace_id: TRACE_ID,
    });
    expect(line["request_id"]).toMatch(/^[\da-f-]{36}$/);
    expect(line["mcp_session"]).toEqual(expect.any(String));
    expect(line["mcp_session"]).not.toBe(connected.transport.sessionId);
    expect(line["bytes_sent"]).toBeGreaterThan(0);
    expect(line["bytes_received"]).toBeGreaterThan(0);
    expect(Date.parse(String(line["start_time"]))).not.toBeNaN();
  });

  it("times an SSE call to the end of its stream", async () => {
    const { client } = connected;
    await client.callTool({ name: "everything_trigger-long-running-operation", arguments: { duration: 1, steps: 2 } });
    const line = await lineWhere((l) => l["mcp_target"] === "everything_trigger-long-running-operation");
    expect(line).toMatchObject({ response_code: 200, mcp_decision: "routed", mcp_server: "everything" });
    // The upstream takes `duration` seconds before its last event: the line cannot end sooner.
    expect(line["duration_ms"]).toBeGreaterThanOrEqual(1_000);
  });

  it("writes a refused call with its status and reason, and never the credential", async () => {
    const reply = await rawPost(url, call("refused-1", "everything_echo", { message: "x" }), {
      authorization: "Bearer not-a-valid-key-0123456789",
    });
    expect(reply.status).toBe(401);
    const line = await lineWhere((l) => l["response_code"] === 401);
    expect(line).toMatchObject({ method: "POST", path: "/mcp", mcp_decision: "refused", mcp_consumer: null });
    expect(line["mcp_reason"]).toEqual(expect.stringMatching(/^[a-z_]+$/));
    expect(JSON.stringify(await accessLines())).not.toContain("not-a-valid-key");
    expect(JSON.stringify(await accessLines())).not.toContain(KEY);
  });

  it("writes the other endpoints too", async () => {
    const base = url.replace(/\/mcp$/, "");
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    await lineWhere((l) => l["path"] === "/healthz" && l["response_code"] === 200 && l["mcp_decision"] === null);
  });

  it("logs each routing decision at debug level on the gateway's stderr, never the API key", async () => {
    const reply = await rawPost(url, call("debug-1", "everything_echo", { message: "dbg" }), {
      ...AUTH,
      "mcp-session-id": connected.transport.sessionId ?? "",
    });
    expect(reply.status).toBe(200);
    const decision = (): Line | undefined =>
      logLines().find((l) => l["msg"] === "routing decision" && l["id"] === "debug-1");
    expect(await pollUntil(() => decision() !== undefined, 10_000)).toBe(true);
    expect(decision()).toMatchObject({
      level: "debug",
      method: "tools/call",
      server: "everything",
      target: "everything_echo",
      decision: "routed",
    });
    expect(gateway.output()).not.toContain(KEY);
  });

  it("logs backend session and upstream state lifecycle at debug level", () => {
    const lines = logLines();
    expect(lines).toContainEqual(
      expect.objectContaining({ level: "debug", msg: "upstream state changed", server: "everything", to: "ready" }),
    );
    expect(lines).toContainEqual(
      expect.objectContaining({ level: "debug", msg: "backend session created", server: "everything" }),
    );
    expect(lines).toContainEqual(
      expect.objectContaining({ level: "debug", msg: "backend session reused", server: "everything" }),
    );
  });
});
