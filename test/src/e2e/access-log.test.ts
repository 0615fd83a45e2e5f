import type { EnvoyRoute } from "../support/envoy-process";
import { deployments } from "./stack-modes";
import { connectClient, rawPost, type ConnectedClient } from "./mcp-client";
import { startSecureStack, type SecureStack } from "./security-stack";

jest.setTimeout(90_000);

// The rendered Envoy config's access log (stdout, JSON) read back from the real Envoy: one line per request, with the
// MCP fields the router hands Envoy as dynamic metadata. Envoy deployments only: standalone mode has no Envoy.
const modes = deployments();
afterAll(async () => {
  await modes.stop();
});

const call = (id: number, name: string, args: Record<string, unknown> = {}): string =>
  JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args } });

describe.each(modes.all.filter(([label]) => label.startsWith("Envoy")))("Envoy access log (%s)", (_label, mode) => {
  let secure: SecureStack;
  let url: string;
  const clients: ConnectedClient[] = [];
  const sessionOf = async (who: "alice" | "bob" | "ops"): Promise<string> => {
    const connected = await connectClient(url, who, secure.as[who]);
    clients.push(connected);
    return connected.transport.sessionId ?? "";
  };
  /** The access-log line of the first POST sent at or after `since` that `match` accepts. */
  const lineOf = async (since: number, match: (route: EnvoyRoute) => boolean = () => true): Promise<EnvoyRoute> => {
    const envoy = secure.stack.envoy;
    if (!envoy) throw new Error("no Envoy in an Envoy deployment");
    return envoy.routeSince(since, (route) => route.method === "POST" && match(route));
  };

  beforeAll(async () => {
    secure = await startSecureStack(await mode());
    url = secure.stack.url;
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await secure.stop();
    await secure.remove();
  });

  it("logs a routed tools/call with method, server, tool, consumer, status, duration and the audit's session hash", async () => {
    const session = await sessionOf("ops");
    const since = Date.now();
    const reply = await rawPost(url, call(4242, "weather_get_forecast", { city: "Oslo" }), {
      ...secure.as.ops,
      "mcp-session-id": session,
    });
    expect(reply.status).toBe(200);
    const { line } = await lineOf(since);
    expect(line).toMatchObject({
      method: "POST",
      path: "/mcp",
      response_code: 200,
      response_flags: "-",
      upstream_cluster: "mcp_server_weather",
      mcp_method: "tools/call",
      mcp_server: "weather",
      mcp_target: "weather_get_forecast",
      mcp_consumer: "ops",
      mcp_decision: "routed",
      mcp_reason: null,
      jsonrpc_id: "4242",
      // Envoy does not trace in this stack: no active span.
      trace_id: null,
    });
    expect(typeof line["duration_ms"]).toBe("number");
    expect(line["bytes_received"]).toBeGreaterThan(0);
    expect(line["bytes_sent"]).toBeGreaterThan(0);
    expect(line["request_id"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(String(line["start_time"]))).toBeGreaterThanOrEqual(since);
    // The session is the audit log's keyed hash of it, never the id itself.
    expect(line["mcp_session"]).toMatch(/^hs:[0-9a-f]{16}$/);
    expect(JSON.stringify(line)).not.toContain(session);
    let audited: Record<string, unknown> | undefined;
    for (let tries = 0; tries < 100 && !audited; tries++) {
      audited = (await secure.auditEvents()).find((event) => event["requestId"] === "4242");
      if (!audited) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(audited?.["session"]).toBe(line["mcp_session"]);
  });

  it("logs a broker request (tools/list) with its consumer and the broker cluster", async () => {
    const session = await sessionOf("bob");
    const since = Date.now();
    const body = JSON.stringify({ jsonrpc: "2.0", id: 3, method: "tools/list" });
    expect((await rawPost(url, body, { ...secure.as.bob, "mcp-session-id": session })).status).toBe(200);
    const { line } = await lineOf(since);
    expect(line).toMatchObject({
      response_code: 200,
      upstream_cluster: "mcp_broker",
      mcp_method: "tools/list",
      mcp_consumer: "bob",
      mcp_decision: "broker",
      mcp_server: null,
      mcp_target: null,
    });
    expect(line["mcp_session"]).toMatch(/^hs:[0-9a-f]{16}$/);
  });

  it("logs a policy refusal (403) naming the consumer, the tool and the reason", async () => {
    const session = await sessionOf("alice");
    const since = Date.now();
    const reply = await rawPost(url, call(7, "notes_add_note", { title: "t", text: "x" }), {
      ...secure.as.alice,
      "mcp-session-id": session,
    });
    expect(reply.status).toBe(403);
    const { line } = await lineOf(since);
    expect(line).toMatchObject({
      response_code: 403,
      mcp_method: "tools/call",
      mcp_server: "notes",
      mcp_target: "notes_add_note",
      mcp_consumer: "alice",
      mcp_decision: "refused",
      mcp_reason: "forbidden",
    });
  });

  it("logs a rate-limited call (429) naming the consumer and the reason", async () => {
    const session = await sessionOf("alice");
    const since = Date.now();
    // alice's burst is 5: sent at once, at least one of 8 calls is refused.
    const replies = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        rawPost(url, call(20 + i, "weather_get_forecast", { city: "Paris" }), {
          ...secure.as.alice,
          "mcp-session-id": session,
        }),
      ),
    );
    expect(replies.some((r) => r.status === 429)).toBe(true);
    const { line } = await lineOf(since, (route) => route.status === 429);
    expect(line).toMatchObject({
      mcp_method: "tools/call",
      mcp_server: "weather",
      mcp_target: "weather_get_forecast",
      mcp_consumer: "alice",
      mcp_decision: "refused",
      mcp_reason: "rate_limited",
    });
  });

  it("logs an unauthenticated request (401) as refused, without a consumer", async () => {
    const since = Date.now();
    const reply = await rawPost(url, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }));
    expect(reply.status).toBe(401);
    const { line } = await lineOf(since);
    expect(line).toMatchObject({ response_code: 401, mcp_decision: "refused", mcp_reason: "unauthorized" });
    expect(line["mcp_consumer"]).toBeNull();
  });

  it("keeps client data from forging or bloating a line: escaped quotes, capped path and protocol version", async () => {
    const since = Date.now();
    const forged = '2025-11-25","mcp_consumer":"root\\' + "v".repeat(500);
    const reply = await rawPost(url, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }), {
      "mcp-protocol-version": forged,
      "x-request-id": `"}{${"r".repeat(300)}`,
    });
    expect(reply.status).toBe(401);
    const { line } = await lineOf(since);
    expect(line["mcp_consumer"]).toBeNull();
    expect(String(line["mcp_protocol_version"])).toMatch(/^2025-11-25","mcp_consumer":"root…\[truncated: /);
    expect(String(line["mcp_protocol_version"]).length).toBeLessThan(120);
    expect(String(line["request_id"]).length).toBeLessThanOrEqual(64);
  });
});
