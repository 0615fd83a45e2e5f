import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pollUntil } from "../support/bounded-wait";
import { startAuditUpstream, type AuditUpstream } from "./audit-upstream";
import { startGatewayStack, type GatewayStack } from "./gateway-stack";
import { connectClient, rawPost, type ConnectedClient } from "./mcp-client";
import { deployments } from "./stack-modes";

jest.setTimeout(90_000);

// Issue 14 item 17: an audit event says who called (address past trusted proxies only, user agent), how long the
// whole reply took (an SSE result 2 s after its headers), and whether the tool failed (`isError`).
const SLOW_MS = 2_000;
const modes = deployments();
afterAll(async () => {
  await modes.stop();
});

type Event = Record<string, unknown>;

interface AuditedStack {
  stack: GatewayStack;
  session: string;
  /** Calls `tool` of the audit upstream with extra headers; resolves with the call's audit event once written. */
  call(tool: string, headers?: Record<string, string>): Promise<Event>;
  stop(): Promise<void>;
}

let ids = 1000;

async function startAudited(mode: Parameters<typeof startGatewayStack>[0], standalone?: string): Promise<AuditedStack> {
  const dir = await mkdtemp(join(tmpdir(), "mcp-audit-fields-"));
  const auditPath = join(dir, "audit.log");
  const upstream: AuditUpstream = await startAuditUpstream(SLOW_MS);
  const stack = await startGatewayStack(mode, {
    extraServers: [`name: audit, url: "${upstream.url}"`],
    access: `auth: none\naudit: { file: { path: "${auditPath}" } }`,
    ...(standalone === undefined ? {} : { standalone }),
  });
  const client: ConnectedClient = await connectClient(stack.url);
  const session = client.transport.sessionId ?? "";
  const events = async (): Promise<Event[]> =>
    (await readFile(auditPath, "utf8").catch(() => ""))
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line) as Event);
  return {
    stack,
    session,
    async call(tool, headers = {}) {
      const id = ++ids;
      const body = JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name: `audit_${tool}` } });
      const reply = await rawPost(stack.url, body, { "mcp-session-id": session, ...headers });
      expect(reply.status).toBe(200);
      let event: Event | undefined;
      const written = await pollUntil(async () => {
        event = (await events()).find((e) => e["requestId"] === String(id));
        return event !== undefined;
      }, 10_000);
      expect(written).toBe(true);
      return event ?? {};
    },
    async stop() {
      await client.close();
      await stack.stop();
      await upstream.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const withoutRedis = modes.all.filter(([label]) => !label.includes("Redis"));

describe.each(withoutRedis)("audit event fields (%s)", (_label, mode) => {
  let audited: AuditedStack;
  beforeAll(async () => {
    // 10.0.0.0/8 is trusted, the loopback peer is not: its x-forwarded-for must be ignored.
    audited = await startAudited(await mode(), "trustedProxies: [10.0.0.0/8]");
  });
  afterAll(async () => {
    await audited?.stop();
  });

  it("measures the latency to the end of an SSE reply whose result comes 2 s after its headers", async () => {
    const event = await audited.call("slow_sse");
    expect(event["latencyMs"]).toBeGreaterThanOrEqual(SLOW_MS);
    expect(event).toMatchObject({ decision: "allowed", upstreamStatus: 200, outcome: "ok" });
  });

  it.each(["fails", "fails_sse"])("records a result with isError as outcome tool_error (%s)", async (tool) => {
    const event = await audited.call(tool);
    expect(event).toMatchObject({ decision: "allowed", upstreamStatus: 200, outcome: "tool_error" });
  });

  it("records the client's address and user agent, ignoring x-forwarded-for from an untrusted peer", async () => {
    const event = await audited.call("ok", { "user-agent": "audit-probe/1.0", "x-forwarded-for": "203.0.113.9" });
    expect(event).toMatchObject({ outcome: "ok", clientAddress: "127.0.0.1", userAgent: "audit-probe/1.0" });
  });
});

describe("audit event client address behind a trusted proxy (standalone)", () => {
  let audited: AuditedStack;
  beforeAll(async () => {
    audited = await startAudited({ kind: "standalone" }, "trustedProxies: [loopback]");
  });
  afterAll(async () => {
    await audited?.stop();
  });

  it("takes the first untrusted address of x-forwarded-for, right to left", async () => {
    const event = await audited.call("ok", { "x-forwarded-for": "198.51.100.1, 203.0.113.9, 127.0.0.2" });
    expect(event["clientAddress"]).toBe("203.0.113.9");
  });
});
