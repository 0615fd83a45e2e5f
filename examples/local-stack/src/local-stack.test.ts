import { Client as ClientV2, StreamableHTTPClientTransport as TransportV2 } from "@modelcontextprotocol/client";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { REPO_ROOT } from "@mcp-gateway/example-kit";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { resolve } from "node:path";
import { parse } from "yaml";
import { DEMO_KEYS, secondStackConfig, startLocalStack, STACK_PORTS, type LocalStack } from "./local-stack";
import { banner } from "./main";

jest.setTimeout(60_000);

// What `npm start` runs, with examples/gateway.yaml, but on free ports: a running `npm start` (8080, 9101-9104) must
// not make this test fail. To prove it, this test holds 8080 itself while it runs (unless something else already
// does, which is the same situation). Needs a build (npm test does).
const FREE_PORTS = { gateway: 0, weather: 0, notes: 0, everything: 0, calendar: 0 };
let stack: LocalStack;
let client: Client;
let holder: Server | undefined;

beforeAll(async () => {
  holder = await holdPort(STACK_PORTS.gateway);
  // Without OPENAI_API_KEY (whatever the shell running the tests has): the LLM proxy stays off.
  stack = await startLocalStack({ ports: FREE_PORTS, env: {} });
  client = new Client({ name: "npm-start-check", version: "1.0.0" });
  // The gateway lists an upstream once it is ready; connect only when all four are.
  for (let i = 0; i < 100; i++) {
    const status = (await (await fetch(`http://127.0.0.1:${stack.ports.gateway}/status`)).json()) as {
      upstreams: { state: string }[];
    };
    if (status.upstreams.every((u) => u.state === "ready")) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const headers = { authorization: `Bearer ${DEMO_KEYS.ops}` };
  await client.connect(new StreamableHTTPClientTransport(new URL(stack.gatewayUrl), { requestInit: { headers } }));
});
afterAll(async () => {
  await client?.close();
  await stack?.stop();
  await new Promise((resolve) => (holder ? holder.close(resolve) : resolve(undefined)));
});

describe("the local stack of npm start", () => {
  it("serves the gateway at /mcp on a free port while 8080 (npm start's) is taken", async () => {
    const probe = await holdPort(STACK_PORTS.gateway);
    probe?.close();
    expect(probe).toBeUndefined();
    expect(stack.ports.gateway).not.toBe(STACK_PORTS.gateway);
    expect(stack.gatewayUrl).toBe(`http://127.0.0.1:${stack.ports.gateway}/mcp`);
  });

  it("points the gateway at the upstreams' free ports, none of npm start's", async () => {
    const upstreams = [stack.ports.weather, stack.ports.notes, stack.ports.everything, stack.ports.calendar];
    expect(upstreams.filter((port) => (Object.values(STACK_PORTS) as number[]).includes(port))).toEqual([]);
    const status = (await (await fetch(`http://127.0.0.1:${stack.ports.gateway}/status`)).json()) as {
      upstreams: { name: string; state: string }[];
    };
    expect(status.upstreams.map((u) => [u.name, u.state])).toEqual([
      ["weather", "ready"],
      ["notes", "ready"],
      ["everything", "ready"],
      ["calendar", "ready"],
    ]);
  });

  it("lists everything_echo and the example servers' tools, the 2026-07-28 calendar's among them", async () => {
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(
      expect.arrayContaining([
        "everything_echo",
        "everything_get-sum",
        "weather_get_forecast",
        "notes_add_note",
        "calendar_book_meeting",
      ]),
    );
  });

  it("runs the calendar as a 2026-07-28 upstream", async () => {
    const status = (await (await fetch(`http://127.0.0.1:${stack.ports.gateway}/status`)).json()) as {
      upstreams: { name: string; generation?: string; protocolVersion?: string }[];
    };
    expect(status.upstreams.find((u) => u.name === "calendar")).toMatchObject({
      generation: "2026",
      protocolVersion: "2026-07-28",
    });
  });

  it("lets a 2025 client (SDK v1) book on the 2026 calendar, confirming the elicitation the gateway relays", async () => {
    const legacy = new Client({ name: "npm-start-v1", version: "1.0.0" }, { capabilities: { elicitation: {} } });
    const asked: string[] = [];
    legacy.setRequestHandler(ElicitRequestSchema, (request) => {
      asked.push(request.params.message);
      return { action: "accept", content: { confirm: true } };
    });
    const headers = { authorization: `Bearer ${DEMO_KEYS.ops}` };
    await legacy.connect(new StreamableHTTPClientTransport(new URL(stack.gatewayUrl), { requestInit: { headers } }));
    const args = { title: "Retro", start: "13:00", durationMinutes: 30 };
    const result = await legacy.callTool({ name: "calendar_book_meeting", arguments: args });
    await legacy.close();
    expect(asked).toEqual(['Book "Retro" today 13:00-13:30?']);
    expect(bookingOf(result)).toEqual({
      booked: true,
      event: expect.objectContaining({ start: "13:00", end: "13:30" }),
    });
  });

  it("lets a 2026-07-28 client (SDK v2, pinned) book on the calendar through input_required", async () => {
    const modern = new ClientV2(
      { name: "npm-start-v2", version: "1.0.0" },
      { capabilities: { elicitation: { form: {} } }, versionNegotiation: { mode: { pin: "2026-07-28" } } },
    );
    const asked: string[] = [];
    modern.setRequestHandler("elicitation/create", (request) => {
      asked.push(request.params.message);
      return { action: "accept", content: { confirm: true } };
    });
    const headers = { authorization: `Bearer ${DEMO_KEYS.ops}` };
    await modern.connect(new TransportV2(new URL(stack.gatewayUrl), { requestInit: { headers } }));
    const args = { title: "Planning", start: "13:30", durationMinutes: 30 };
    const result = await modern.callTool({ name: "calendar_book_meeting", arguments: args });
    const today = await modern.readResource({ uri: "calendar+calendar://today" });
    const era = modern.getProtocolEra();
    await modern.close();
    expect(era).toBe("modern");
    expect(asked).toEqual(['Book "Planning" today 13:30-14:00?']);
    expect(bookingOf(result)).toEqual({
      booked: true,
      event: expect.objectContaining({ start: "13:30", end: "14:00" }),
    });
    expect(today.contents[0]).toMatchObject({ text: expect.stringContaining("13:30-14:00 Planning") });
  });

  it("tells a 2026-07-28 client listening on the gateway when a booking changes the calendar's resources", async () => {
    const connect = async (): Promise<ClientV2> => {
      const modern = new ClientV2(
        { name: "npm-start-listen", version: "1.0.0" },
        { capabilities: { elicitation: { form: {} } }, versionNegotiation: { mode: { pin: "2026-07-28" } } },
      );
      modern.setRequestHandler("elicitation/create", () => ({ action: "accept", content: { confirm: true } }));
      const headers = { authorization: `Bearer ${DEMO_KEYS.ops}` };
      await modern.connect(new TransportV2(new URL(stack.gatewayUrl), { requestInit: { headers } }));
      return modern;
    };
    const started = Date.now();
    const listener = await connect();
    let notified = 0;
    listener.setNotificationHandler("notifications/resources/list_changed", () => void notified++);
    const subscription = await listener.listen({ resourcesListChanged: true });
    const booker = await connect();
    const args = { title: "Sync", start: "10:00", durationMinutes: 30 };
    const booked = bookingOf(await booker.callTool({ name: "calendar_book_meeting", arguments: args }));
    const uri = `calendar+calendar://events/${(booked as { event: { id: string } }).event.id}`;
    // The list_changed of an earlier test's booking may still be on its way: list again after each notification (a
    // notification evicts the client's cached list) until this booking shows, within 10 s.
    let uris: string[] = [];
    for (let seen = 0; !uris.includes(uri) && Date.now() - started < 10_000;) {
      if (notified > seen) {
        seen = notified;
        uris = (await listener.listResources()).resources.map((r) => r.uri);
      } else await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await subscription.close();
    await Promise.all([listener.close(), booker.close()]);
    expect(notified).toBeGreaterThan(0);
    expect(uris).toContain(uri);
  });

  it("returns server-everything's results for everything_echo and everything_get-sum", async () => {
    expect(await client.callTool({ name: "everything_echo", arguments: { message: "npm start" } })).toMatchObject({
      content: [{ type: "text", text: "Echo: npm start" }],
    });
    expect(await client.callTool({ name: "everything_get-sum", arguments: { a: 20, b: 22 } })).toMatchObject({
      content: [{ type: "text", text: "The sum of 20 and 22 is 42." }],
    });
  });

  it("refuses a client without an API key with 401 and a plain Bearer challenge (no OAuth is configured)", async () => {
    const response = await fetch(stack.gatewayUrl, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }),
    });
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe("Bearer");
  });

  it("serves the README's endpoints: /mcp/weather unprefixed, the virtual planner its curated picks", async () => {
    const headers = { authorization: `Bearer ${DEMO_KEYS.ops}` };
    const names = async (path: string): Promise<string[]> => {
      const endpoint = new Client({ name: "endpoints", version: "1.0.0" });
      const url = new URL(stack.gatewayUrl.replace(/\/mcp$/, path));
      await endpoint.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers } }));
      try {
        return (await endpoint.listTools()).tools.map((t) => t.name);
      } finally {
        await endpoint.close();
      }
    };
    expect(await names("/mcp/weather")).toContain("get_forecast");
    expect(await names("/mcp/virtual/planner")).toEqual(["forecast", "add_note", "find_free_slot", "book_meeting"]);
  });

  it("shows alice (a demo key) only the weather tools", async () => {
    const alice = new Client({ name: "alice", version: "1.0.0" });
    const headers = { authorization: `Bearer ${DEMO_KEYS.alice}` };
    await alice.connect(new StreamableHTTPClientTransport(new URL(stack.gatewayUrl), { requestInit: { headers } }));
    const names = (await alice.listTools()).tools.map((t) => t.name);
    await alice.close();
    expect(names.length).toBeGreaterThan(0);
    expect(names.every((name) => name.startsWith("weather_"))).toBe(true);
  });

  it("shows bob (a demo key) the calendar tools next to notes and everything, and no weather tool", async () => {
    const bob = new Client({ name: "bob", version: "1.0.0" });
    const headers = { authorization: `Bearer ${DEMO_KEYS.bob}` };
    await bob.connect(new StreamableHTTPClientTransport(new URL(stack.gatewayUrl), { requestInit: { headers } }));
    const names = (await bob.listTools()).tools.map((t) => t.name);
    await bob.close();
    expect(names).toEqual(expect.arrayContaining(["calendar_list_events", "notes_add_note", "everything_echo"]));
    expect(names.some((name) => name.startsWith("weather_"))).toBe(false);
  });

  // The README's first snippet, run as a user would (a module of its own) against this stack: it must print the tools
  // and the sum, and exit by itself (without client.close() the open session kept the process alive).
  it("runs the README's SDK snippet to completion: it lists, calls and exits", async () => {
    const snippet = readmeSnippet("Connect with one:").replaceAll("http://127.0.0.1:8080/mcp", stack.gatewayUrl);
    // Under node_modules so the SDK import resolves as in the clone; removed afterwards.
    const dir = mkdtempSync(resolve(REPO_ROOT, "node_modules", ".readme-snippet-"));
    try {
      writeFileSync(resolve(dir, "snippet.mjs"), snippet);
      // Async: the gateway may run in this very process, which must keep answering.
      const run = await new Promise<{ signal: string | null; status: number | null; stdout: string; stderr: string }>(
        (done) => {
          const options = { encoding: "utf8" as const, timeout: 30_000 };
          execFile(process.execPath, [resolve(dir, "snippet.mjs")], options, (error, stdout, stderr) =>
            done({ signal: error?.signal ?? null, status: error ? (error.code as number | null) : 0, stdout, stderr }),
          );
        },
      );
      expect({ signal: run.signal, status: run.status, stderr: run.stderr }).toEqual({
        signal: null,
        status: 0,
        stderr: "",
      });
      expect(run.stdout).toContain("everything_get-sum");
      expect(run.stdout).toContain("The sum of 2 and 40 is 42.");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("serves the web console at /ui/ (examples/gateway.yaml enables it)", async () => {
    const response = await fetch(`http://127.0.0.1:${stack.ports.gateway}/ui/`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-security-policy")).toContain("default-src 'self'");
    expect(await response.text()).toContain("<title>MCP Gateway console</title>");
  });

  it("keeps the LLM proxy off without OPENAI_API_KEY: the banner says how to turn it on and /v1 answers 404", async () => {
    const lines = banner(stack).split("\n");
    expect(lines.filter((line) => line.includes("OPENAI_API_KEY"))).toEqual([
      "  LLM proxy                off: set OPENAI_API_KEY (optionally OPENAI_BASE_URL, OPENAI_MODEL) to try /v1",
    ]);
    expect(lines.some((line) => line.includes("/v1/chat/completions"))).toBe(false);
    const response = await fetch(`http://127.0.0.1:${stack.ports.gateway}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${DEMO_KEYS.alice}`, "content-type": "application/json" },
      body: JSON.stringify({ messages: [{ role: "user", content: "Hello?" }] }),
    });
    expect(response.status).toBe(404);
  });

  it("returns an error for an unknown tool", async () => {
    await expect(client.callTool({ name: "everything_missing", arguments: {} })).rejects.toThrow(
      'unknown tool: "everything_missing"',
    );
  });
});

describe("secondStackConfig", () => {
  it("moves the servers, the listen address and the audit file, and keeps the rest and the comments", () => {
    const ports = { gateway: 18080, weather: 19101, notes: 19102, everything: 19103, calendar: 19104 };
    const original = readFileSync(resolve(REPO_ROOT, "examples/gateway.yaml"), "utf8");
    const copy = secondStackConfig(original, ports, "/tmp/stack-2");
    const parsed = parse(copy) as {
      servers: { name: string; url: string }[];
      standalone: { listen: string };
      audit: { file: { path: string } };
    };
    expect(parsed.servers.map((s) => [s.name, s.url])).toEqual([
      ["weather", "http://127.0.0.1:19101/mcp"],
      ["notes", "http://127.0.0.1:19102/mcp"],
      ["everything", "http://127.0.0.1:19103/mcp"],
      ["calendar", "http://127.0.0.1:19104/mcp"],
    ]);
    expect(parsed.standalone.listen).toBe("127.0.0.1:18080");
    expect(parsed.audit.file.path).toBe("/tmp/stack-2/audit.log");
    const unchanged = (yaml: string): unknown => ({ ...(parse(yaml) as object), servers: 0, standalone: 0, audit: 0 });
    expect(unchanged(copy)).toEqual(unchanged(original));
    expect(copy).toContain("# get-env returns the server's environment variables");
  });
});

/** The first ```ts block of the README after the line containing `marker`. */
function readmeSnippet(marker: string): string {
  const readme = readFileSync(resolve(REPO_ROOT, "README.md"), "utf8");
  const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf(marker)));
  if (!block?.[1]) throw new Error(`no ts snippet after ${JSON.stringify(marker)} in README.md`);
  return block[1];
}

/** Listens on 127.0.0.1:`port` and returns the server, or undefined if the port is already taken. */
async function holdPort(port: number): Promise<Server | undefined> {
  const server = createServer();
  return new Promise((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      error.code === "EADDRINUSE" ? resolve(undefined) : reject(error),
    );
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

/** The JSON the calendar's book_meeting answers in its one text block. */
function bookingOf(result: unknown): unknown {
  const block = (result as { content: { type: string; text?: string }[] }).content[0];
  return JSON.parse(block?.type === "text" ? (block.text ?? "") : "null");
}
