import { deployments } from "./stack-modes";
import { connectClient, rawPost, resultJson, type ConnectedClient } from "./mcp-client";
import { metricValue } from "./gateway-stack";
import { ALLOWED_ORIGIN, startSecureStack, type SecureStack } from "./security-stack";

jest.setTimeout(90_000);

// The acceptance, in every deployment: the example config's consumers (alice: weather only, burst 5; bob:
// notes and everything; ops: all), no credentials → 401, lists per consumer, 403 for another's tool, 429 past the
// burst, redacted results, and an audit event for every call and denial, nothing lost when the gateway stops.
afterAll(async () => {
  await modes.stop();
});

const modes = deployments();

const call = (id: number, name: string, args: Record<string, unknown> = {}): string =>
  JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args } });

describe.each(modes.all)("security end to end (%s)", (_label, mode) => {
  let secure: SecureStack;
  let url: string;
  const clients: ConnectedClient[] = [];
  const connectAs = async (who: "alice" | "bob" | "ops"): Promise<ConnectedClient> => {
    const connected = await connectClient(url, who, secure.as[who]);
    clients.push(connected);
    return connected;
  };
  /** The gateway session of a fresh raw client of `who`. */
  const sessionOf = async (who: "alice" | "bob" | "ops"): Promise<string> => {
    const { transport } = await connectAs(who);
    return transport.sessionId ?? "";
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

  it("admits exactly the burst: of 8 concurrent calls by alice from 4 clients (burst 5), 3 get 429", async () => {
    // The bucket is the consumer's, not a connection's or a session's: four clients share it.
    const sessions = await Promise.all([1, 2, 3, 4].map(() => sessionOf("alice")));
    const replies = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        rawPost(url, call(100 + i, "weather_get_forecast", { city: "Paris" }), {
          ...secure.as.alice,
          "mcp-session-id": sessions[i % sessions.length] ?? "",
        }),
      ),
    );
    const limited = replies.filter((r) => r.status === 429);
    expect(replies.filter((r) => r.status === 200)).toHaveLength(5);
    expect(limited).toHaveLength(3);
    for (const reply of limited) {
      expect(Number(reply.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(reply.json["error"]).toMatchObject({ code: -31006, message: expect.stringContaining("rate limit") });
    }
  });

  it("refuses a request without credentials with 401 and a plain Bearer challenge (API keys only: no OAuth)", async () => {
    const reply = await rawPost(url, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }));
    expect(reply.status).toBe(401);
    expect(reply.json["error"]).toMatchObject({ code: -31007 });
    // No authorization server is configured: advertising OAuth metadata would send clients into an OAuth flow.
    expect(reply.headers.get("www-authenticate")).toBe("Bearer");
    const metadata = await fetch(new URL("/.well-known/oauth-protected-resource/mcp", url));
    expect(metadata.status).toBe(404);
  });

  it.each([
    ["a wrong key", { authorization: "Bearer mcpgw_not_a_key" }],
    ["a key in the wrong scheme", { authorization: "Basic bWNwZ3c6eA==" }],
    ["a forged identity header instead of a key", { "x-mcp-identity": "i1.eyJjb25zdW1lciI6Im9wcyJ9.AAAA" }],
  ])("refuses %s with 401", async (_label, headers) => {
    const reply = await rawPost(url, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }), headers);
    expect(reply.status).toBe(401);
  });

  it("shows alice only the weather tools, bob only notes and everything", async () => {
    const alice = (await (await connectAs("alice")).client.listTools()).tools.map((t) => t.name);
    const bob = (await (await connectAs("bob")).client.listTools()).tools.map((t) => t.name);
    expect(alice).toContain("weather_get_forecast");
    expect(alice.every((name) => name.startsWith("weather_"))).toBe(true);
    expect(bob).toEqual(expect.arrayContaining(["notes_add_note", "everything_echo"]));
    expect(bob.some((name) => name.startsWith("weather_"))).toBe(false);
  });

  it("answers alice's call of bob's tool with 403 naming the tool, and the upstream never sees it", async () => {
    const session = await sessionOf("alice");
    const reply = await rawPost(url, call(7, "notes_add_note", { title: "alice", text: "from alice" }), {
      ...secure.as.alice,
      "mcp-session-id": session,
    });
    expect(reply.status).toBe(403);
    expect(reply.json).toMatchObject({
      id: 7,
      error: { code: -31005, message: expect.stringContaining("notes_add_note") },
    });
    const notes = await (await connectAs("bob")).client.callTool({ name: "notes_list_notes", arguments: {} });
    expect(JSON.stringify(notes)).not.toContain("from alice");
  });

  it.each(["WEATHER_get_forecast", "weather_get_forecast\u200b", "wеather_get_forecast", "weather%5Fget_forecast"])(
    "treats the look-alike %j as an unknown tool (-32602), never as an allowed one",
    async (name) => {
      const session = await sessionOf("ops");
      const reply = await rawPost(url, call(8, name), { ...secure.as.ops, "mcp-session-id": session });
      expect(reply.json["error"]).toMatchObject({ code: -32602, message: expect.stringContaining("unknown tool") });
    },
  );

  it("keeps alice alice when she also sends a forged identity header", async () => {
    const forged = { ...secure.as.alice, "x-mcp-identity": "i1.forged.forged" };
    const { client } = await connectClient(url, "alice-forging", forged).then((c) => (clients.push(c), c));
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names.every((name) => name.startsWith("weather_"))).toBe(true);
  });

  it("refuses bob's credentials on alice's session (404: sessions belong to their consumer)", async () => {
    const session = await sessionOf("alice");
    const reply = await rawPost(url, call(9, "notes_list_notes"), { ...secure.as.bob, "mcp-session-id": session });
    expect(reply.status).toBe(404);
  });

  it("redacts secrets in tool results (keys inside JSON text and patterns)", async () => {
    const { client } = await connectAs("bob");
    const added = await client.callTool({
      name: "notes_add_note",
      arguments: { title: "keys", text: 'aws AKIAIOSFODNN7EXAMPLE {"password":"hunter2"}' },
    });
    expect(added.isError).not.toBe(true);
    const listed = JSON.stringify(await client.callTool({ name: "notes_list_notes", arguments: {} }));
    expect(listed).not.toContain("AKIAIOSFODNN7EXAMPLE");
    expect(listed).not.toContain("hunter2");
    expect(listed).toContain("[REDACTED]");
  });

  it("refuses oversize request headers with 431", async () => {
    const reply = await rawPost(url, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }), {
      ...secure.as.ops,
      "x-padding": "p".repeat(10_000),
    });
    expect(reply.status).toBe(431);
  });

  it("answers a CORS preflight from an allowed origin and exposes the session header", async () => {
    const response = await fetch(url, {
      method: "OPTIONS",
      headers: { origin: ALLOWED_ORIGIN, "access-control-request-method": "POST" },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe(ALLOWED_ORIGIN);
    expect(response.headers.get("access-control-allow-headers")).toContain("authorization");
    const reply = await rawPost(url, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }), {
      origin: ALLOWED_ORIGIN,
    });
    expect(reply.status).toBe(401);
    expect(reply.headers.get("access-control-expose-headers")).toContain("mcp-session-id");
  });

  it("counts refusals and audit progress in the metrics", async () => {
    // The audit log writes in batches (every 200 ms by default), apart from the requests: wait, within a bound, for the
    // events the earlier tests recorded to be written before reading every counter from one scrape.
    const scrape = async (): Promise<string> => (await fetch(secure.stack.routerMetricsUrl)).text();
    let text = await scrape();
    const written = /^mcp_gateway_audit_written_events_total [1-9]/m;
    for (let tries = 0; tries < 100 && !written.test(text); tries++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      text = await scrape();
    }
    expect(metricValue(text, "mcp_gateway_refusals_total", { decision: "rate_limited" })).toBe(3);
    expect(metricValue(text, "mcp_gateway_refusals_total", { decision: "denied" })).toBeGreaterThanOrEqual(1);
    expect(metricValue(text, "mcp_gateway_refusals_total", { decision: "unauthenticated" })).toBeGreaterThanOrEqual(3);
    expect(text).toMatch(written);
    expect(text).toMatch(/^mcp_gateway_audit_dropped_events_total 0$/m);
  });

  it("writes one audit event per call and per denial, all of them by the time the gateway has stopped", async () => {
    const { client } = await connectAs("ops");
    const before = (await secure.auditEvents()).length;
    for (let i = 0; i < 10; i++) {
      const result = await client.callTool({ name: "weather_get_forecast", arguments: { city: "Oslo" } });
      expect(resultJson(result)).toBeDefined();
    }
    const session = await sessionOf("alice");
    await rawPost(url, call(11, "everything_echo", { message: "no" }), {
      ...secure.as.alice,
      "mcp-session-id": session,
    });
    await secure.stop();
    const events = (await secure.auditEvents()).slice(before);
    const calls = events.filter((e) => e["consumer"] === "ops" && e["target"] === "weather_get_forecast");
    expect(calls).toHaveLength(10);
    expect(calls.every((e) => e["decision"] === "allowed" && e["upstreamStatus"] === 200)).toBe(true);
    expect(
      calls.every((e) => typeof e["latencyMs"] === "number" && String(e["argsDigest"]).startsWith("hmac-sha256:")),
    ).toBe(true);
    expect(JSON.stringify(calls)).not.toContain("Oslo");
    const denial = events.find((e) => e["consumer"] === "alice" && e["target"] === "everything_echo");
    expect(denial).toMatchObject({ decision: "denied", method: "tools/call", upstreamStatus: null });
  });
});
