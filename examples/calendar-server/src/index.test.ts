import { request } from "node:http";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { CONFIRM_KEY, startServer, TODAY_URI, type RunningServer } from "./index";

const MODERN = "2026-07-28";
const ENVELOPE = {
  "io.modelcontextprotocol/protocolVersion": MODERN,
  "io.modelcontextprotocol/clientInfo": { name: "calendar-test", version: "1.0.0" },
  "io.modelcontextprotocol/clientCapabilities": { elicitation: { form: {} } },
};

interface Reply {
  status: number;
  body: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

// node:http (unlike fetch) lets a test send any Host header, as a DNS-rebinding browser would.
function post(url: string, message: object, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
    });
    req.once("response", (res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => (text += chunk.toString()));
      res.once("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Reply["body"] }));
    });
    req.once("error", reject);
    req.end(JSON.stringify(message));
  });
}

/** One 2026-07-28 request over raw HTTP: the `_meta` envelope and the standard headers. */
function modernPost(url: string, method: string, params: Record<string, unknown> = {}): Promise<Reply> {
  const name = params["name"] ?? params["uri"];
  const headers = {
    "mcp-protocol-version": MODERN,
    "mcp-method": method,
    ...(typeof name === "string" ? { "mcp-name": name } : {}),
  };
  return post(url, { jsonrpc: "2.0", id: 1, method, params: { ...params, _meta: ENVELOPE } }, headers);
}

type Answer = { action: "accept"; content: { confirm: boolean } } | { action: "decline" };

describe("calendar server (2026-07-28, SDK v2)", () => {
  let server: RunningServer;
  let client: Client;
  let answer: Answer;
  const asked: string[] = [];

  beforeEach(async () => {
    server = await startServer({ port: 0 });
    answer = { action: "accept", content: { confirm: true } };
    asked.length = 0;
    client = new Client(
      { name: "calendar-test", version: "1.0.0" },
      { capabilities: { elicitation: { form: {} } }, versionNegotiation: { mode: { pin: MODERN } } },
    );
    client.setRequestHandler("elicitation/create", (req) => {
      asked.push(req.params.message);
      return answer;
    });
    await client.connect(new StreamableHTTPClientTransport(new URL(server.url)));
  });
  afterEach(async () => {
    await client.close();
    await server.close();
  });

  const call = async (name: string, args: Record<string, unknown> = {}) => {
    const result = (await client.callTool({ name, arguments: args })) as {
      content: { type: string; text: string }[];
      isError?: boolean;
    };
    return { isError: result.isError ?? false, value: JSON.parse(result.content[0]?.text ?? "null") as unknown };
  };

  it("listens on 127.0.0.1 at /mcp and speaks 2026-07-28 as calendar", () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/mcp`);
    expect(client.getProtocolEra()).toBe("modern");
    expect(client.getServerVersion()?.name).toBe("calendar");
  });

  it("lists its tools, prompt, resources and template", async () => {
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual([
      "book_meeting",
      "find_free_slot",
      "list_events",
    ]);
    expect((await client.listPrompts()).prompts.map((p) => p.name)).toEqual(["plan_meeting"]);
    expect((await client.listResources()).resources.map((r) => r.uri)).toEqual([
      TODAY_URI,
      "calendar://events/evt-1",
      "calendar://events/evt-2",
      "calendar://events/evt-3",
    ]);
    const templates = (await client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate);
    expect(templates).toEqual(["calendar://events/{id}"]);
  });

  it.each([
    ["tools/list", 300_000],
    ["prompts/list", 300_000],
    ["resources/templates/list", 300_000],
    ["resources/list", 30_000],
    ["server/discover", 300_000],
  ])("puts public cache hints on %s (ttlMs %i)", async (method, ttlMs) => {
    const { status, body } = await modernPost(server.url, method);
    expect(status).toBe(200);
    expect(body["result"]).toMatchObject({ ttlMs, cacheScope: "public" });
  });

  it("answers list_events and find_free_slot deterministically", async () => {
    expect(await call("list_events")).toEqual({
      isError: false,
      value: {
        events: [
          { id: "evt-1", title: "Stand-up", start: "09:30", end: "10:00" },
          { id: "evt-2", title: "Lunch with the platform team", start: "12:00", end: "13:00" },
          { id: "evt-3", title: "Gateway design review", start: "15:00", end: "16:00" },
        ],
      },
    });
    expect((await call("find_free_slot", { durationMinutes: 60, notBefore: "12:30" })).value).toEqual({
      slot: { start: "13:00", end: "14:00" },
    });
    expect((await call("find_free_slot", { durationMinutes: 480 })).value).toEqual({ slot: null });
  });

  it("books a meeting once the user confirms through input_required, and shows it", async () => {
    const booked = await call("book_meeting", { title: "Retro", start: "13:00", durationMinutes: 30 });
    expect(asked).toEqual(['Book "Retro" today 13:00-13:30?']);
    expect(booked).toEqual({
      isError: false,
      value: { booked: true, event: { id: "evt-4", title: "Retro", start: "13:00", end: "13:30" } },
    });
    const { contents } = await client.readResource({ uri: TODAY_URI });
    expect(contents[0]).toMatchObject({ uri: TODAY_URI, text: expect.stringContaining("13:00-13:30 Retro (evt-4)") });
    const event = await client.readResource({ uri: "calendar://events/evt-4" });
    expect(JSON.parse((event.contents[0] as { text: string }).text)).toMatchObject({ title: "Retro" });
  });

  it.each<[string, Answer, string]>([
    ["declines", { action: "decline" }, "the user chose to decline"],
    ["answers no", { action: "accept", content: { confirm: false } }, "the user did not confirm"],
  ])("books nothing when the user %s", async (_what, given, reason) => {
    answer = given;
    const result = await call("book_meeting", { title: "Retro", start: "13:00", durationMinutes: 30 });
    expect(result).toEqual({ isError: false, value: { booked: false, reason } });
    expect((await call("list_events")).value).toMatchObject({ events: { length: 3 } });
  });

  it("refuses a conflicting meeting without asking", async () => {
    const result = await call("book_meeting", { title: "Clash", start: "09:45", durationMinutes: 30 });
    expect(result).toEqual({
      isError: true,
      value: {
        booked: false,
        reason: 'cannot book "Clash" today 09:45-10:15: overlaps "Stand-up" (09:30-10:00)',
      },
    });
    expect(asked).toEqual([]);
  });

  it("asks again when a confirmation is replayed onto other arguments", async () => {
    const args = { title: "Retro", start: "13:00", durationMinutes: 30 };
    const first = await modernPost(server.url, "tools/call", { name: "book_meeting", arguments: args });
    expect(first.body["result"]).toMatchObject({ resultType: "input_required" });
    const retry = await modernPost(server.url, "tools/call", {
      name: "book_meeting",
      arguments: { ...args, start: "13:30" },
      requestState: first.body["result"].requestState,
      inputResponses: { [CONFIRM_KEY]: { action: "accept", content: { confirm: true } } },
    });
    expect(retry.body["result"]).toMatchObject({
      resultType: "input_required",
      inputRequests: { [CONFIRM_KEY]: { params: { message: 'Book "Retro" today 13:30-14:00?' } } },
    });
    expect((await call("list_events")).value).toMatchObject({ events: { length: 3 } });
  });

  it("refuses a tampered requestState with -32602 before the tool runs", async () => {
    const first = await modernPost(server.url, "tools/call", {
      name: "book_meeting",
      arguments: { title: "Retro", start: "13:00", durationMinutes: 30 },
    });
    const state = String(first.body["result"].requestState);
    const retry = await modernPost(server.url, "tools/call", {
      name: "book_meeting",
      arguments: { title: "Retro", start: "13:00", durationMinutes: 30 },
      requestState: `${state.slice(0, -2)}${state.endsWith("AA") ? "BB" : "AA"}`,
      inputResponses: { [CONFIRM_KEY]: { action: "accept", content: { confirm: true } } },
    });
    expect(retry.body["error"]).toMatchObject({ code: -32602 });
    expect((await call("list_events")).value).toMatchObject({ events: { length: 3 } });
  });

  it("announces a booking on a subscriptions/listen stream (list changed, today updated)", async () => {
    const seen: string[] = [];
    const got = new Promise<void>((resolve) => {
      const record = (method: string) => () => {
        seen.push(method);
        if (seen.length === 2) resolve();
      };
      client.setNotificationHandler("notifications/resources/list_changed", record("list_changed"));
      client.setNotificationHandler("notifications/resources/updated", record("updated"));
    });
    const subscription = await client.listen({ resourcesListChanged: true, resourceSubscriptions: [TODAY_URI] });
    expect(subscription.honoredFilter).toEqual({ resourcesListChanged: true, resourceSubscriptions: [TODAY_URI] });
    await call("book_meeting", { title: "Retro", start: "13:00", durationMinutes: 30 });
    await got;
    await subscription.close();
    expect(seen.sort()).toEqual(["list_changed", "updated"]);
  });
});

describe("calendar server edges", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ port: 0 });
  });
  afterAll(async () => {
    await server.close();
  });

  it("refuses a 2025 initialize with 400 -32022 naming 2026-07-28 (it serves that revision only)", async () => {
    const initialize = {
      jsonrpc: "2.0",
      id: 2,
      method: "initialize",
      params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "legacy", version: "1.0.0" } },
    };
    const { status, body } = await post(server.url, initialize);
    expect(status).toBe(400);
    expect(body).toMatchObject({ id: 2, error: { code: -32022, data: { supported: [MODERN] } } });
  });

  it.each([
    ["a foreign Host", { host: "evil.example.com" }, 403],
    ["a foreign Origin", { origin: "http://evil.example.com" }, 403],
    ["a localhost Host and Origin", { host: "localhost:1", origin: "http://localhost:1" }, 200],
  ])("answers server/discover with %s with %i", async (_what, headers, status) => {
    const discover = { jsonrpc: "2.0", id: 3, method: "server/discover", params: { _meta: ENVELOPE } };
    const modern = { "mcp-protocol-version": MODERN, "mcp-method": "server/discover" };
    expect((await post(server.url, discover, { ...modern, ...headers })).status).toBe(status);
  });

  it("answers 404 outside /mcp", async () => {
    expect((await fetch(server.url.replace("/mcp", "/other"), { method: "POST" })).status).toBe(404);
  });
});

describe("calendar server with allowed hosts (compose)", () => {
  it("accepts exactly the configured Host names", async () => {
    const server = await startServer({ port: 0, allowedHosts: ["calendar"] });
    try {
      const discover = { jsonrpc: "2.0", id: 3, method: "server/discover", params: { _meta: ENVELOPE } };
      const modern = { "mcp-protocol-version": MODERN, "mcp-method": "server/discover" };
      expect((await post(server.url, discover, { ...modern, host: "calendar:9104" })).status).toBe(200);
      expect((await post(server.url, discover, modern)).status).toBe(403);
    } finally {
      await server.close();
    }
  });
});
