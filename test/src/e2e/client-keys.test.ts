import { PROTOTYPE_KEYS } from "@mcp-gateway/core";
import { deployments } from "./stack-modes";
import { connectClient, resultJson, type ConnectedClient } from "./mcp-client";
import { startSecureStack, UPSTREAM_CREDENTIAL, type SecureStack } from "./security-stack";

jest.setTimeout(120_000);

// Lookups keyed by client data (methods, tool and prompt names, resource URIs, header names) must find only what the
// gateway put there: a name of an Object.prototype member once answered `constructor` with the whole internal
// catalog (server configs with their upstream credentials), and other such names with 500 and internal text.
// Session ids likewise verify only in the spelling the gateway issued, so an ended session has no second spelling.
afterAll(async () => {
  await modes.stop();
});

const modes = deployments();

interface Reply {
  status: number;
  text: string;
  json: Record<string, unknown>;
}

/** POSTs a JSON-RPC body with headers given as pairs (so even `__proto__` can be a header name). */
async function post(url: string, body: object, headers: [string, string][]): Promise<Reply> {
  const response = await fetch(url, {
    method: "POST",
    headers: [["content-type", "application/json"], ["accept", "application/json, text/event-stream"], ...headers],
    body: JSON.stringify(body),
  });
  const text = await response.text();
  const data = text.split("\n").find((line) => line.startsWith("data: "));
  const json = (data ? JSON.parse(data.slice(6)) : text ? JSON.parse(text) : {}) as Record<string, unknown>;
  return { status: response.status, text, json };
}

/** The variants of a session id that decode to the same tag: padding, stray characters, the other unused low bits. */
function spellingVariants(id: string): string[] {
  const tag = id.slice(id.lastIndexOf(".") + 1);
  const head = id.slice(0, id.length - tag.length);
  const bytes = Buffer.from(tag, "base64url");
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const lowBits = [...alphabet]
    .map((last) => tag.slice(0, -1) + last)
    .filter((variant) => variant !== tag && Buffer.from(variant, "base64url").equals(bytes))
    .map((variant) => head + variant);
  return [`${id}=`, `${id}==`, `${id}*`, ...lowBits];
}

describe.each(modes.all)("client-chosen keys end to end (%s)", (_label, mode) => {
  let secure: SecureStack;
  let url: string;
  const clients: ConnectedClient[] = [];
  /** A fresh gateway session of `who`, and the headers that carry it. */
  const sessionOf = async (who: "alice" | "ops"): Promise<{ id: string; headers: [string, string][] }> => {
    const connected = await connectClient(url, who, secure.as[who]);
    clients.push(connected);
    const id = connected.transport.sessionId ?? "";
    return { id, headers: [...Object.entries(secure.as[who]), ["mcp-session-id", id]] };
  };
  /** Asserts a reply gives nothing away: no 500, no upstream credential, no upstream address or server config. */
  const expectNothingLeaked = (reply: Reply): void => {
    expect(reply.status).not.toBe(500);
    expect(reply.text).not.toContain(UPSTREAM_CREDENTIAL);
    expect(reply.text).not.toContain(secure.stack.weather.url);
    expect(reply.text).not.toContain(secure.stack.notes.url);
    expect(reply.text).not.toMatch(/https?:\/\/127\.0\.0\.1/);
    expect(reply.text).not.toMatch(/"servers"|"headers"|x-upstream-credential/);
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

  describe("every Object.prototype name, sent by alice (weather only)", () => {
    let alice: [string, string][];
    beforeAll(async () => {
      alice = (await sessionOf("alice")).headers;
    });

    it.each(PROTOTYPE_KEYS)("%j as a method: -32601 naming it, no result", async (name) => {
      const reply = await post(url, { jsonrpc: "2.0", id: 1, method: name }, alice);
      expectNothingLeaked(reply);
      expect(reply.status).toBe(200);
      expect(reply.json["result"]).toBeUndefined();
      expect(reply.json["error"]).toEqual({ code: -32601, message: `method not found: ${JSON.stringify(name)}` });
    });

    it.each(
      PROTOTYPE_KEYS.flatMap((name) => [
        ["tools/call", { name, arguments: {} }, `unknown tool: ${JSON.stringify(name)}`, -32602],
        ["prompts/get", { name }, `unknown prompt: ${JSON.stringify(name)}`, -32602],
        // MCP 2025-11-25 (server/resources, "Error Handling"): resource not found is -32002.
        ["resources/read", { uri: name }, `unknown resource: ${JSON.stringify(name)}`, -32002],
      ]),
    )("in %s as %j: an unknown-name error, no result", async (method, params, message, code) => {
      const reply = await post(url, { jsonrpc: "2.0", id: 2, method, params }, alice);
      expectNothingLeaked(reply);
      expect(reply.status).toBe(200);
      expect(reply.json["result"]).toBeUndefined();
      expect(reply.json["error"]).toMatchObject({ code, message: expect.stringContaining(message) });
    });

    it.each(PROTOTYPE_KEYS)("%j as a header name on a ping: answered as any ping", async (name) => {
      const reply = await post(url, { jsonrpc: "2.0", id: 3, method: "ping" }, [...alice, [name, "x"]]);
      expectNothingLeaked(reply);
      expect(reply.status).toBe(200);
      expect(reply.json).toEqual({ jsonrpc: "2.0", id: 3, result: {} });
    });

    it("keeps serving: alice's tools, lists and policy work as before", async () => {
      const connected = await connectClient(url, "alice", secure.as.alice);
      clients.push(connected);
      const forecast = resultJson(
        await connected.client.callTool({ name: "weather_get_forecast", arguments: { city: "Oslo" } }),
      );
      expect(forecast).toMatchObject({ city: "Oslo" });
      const tools = (await connected.client.listTools()).tools.map((tool) => tool.name);
      expect(tools.length).toBeGreaterThan(0);
      expect(tools.every((tool) => tool.startsWith("weather_"))).toBe(true);
      const status = await fetch(`${secure.stack.brokerBase}/readyz`);
      expect(status.status).toBe(200);
    });
  });

  describe("session ids in another spelling", () => {
    it("are refused with 404 before and after DELETE, and the ended id stays ended", async () => {
      const { id, headers } = await sessionOf("ops");
      const auth = headers.filter(([name]) => name !== "mcp-session-id");
      const call = {
        jsonrpc: "2.0",
        id: 4,
        method: "tools/call",
        params: { name: "weather_get_forecast", arguments: { city: "Oslo" } },
      };
      const variants = spellingVariants(id);
      expect(variants.length).toBeGreaterThanOrEqual(6);
      for (const variant of variants) {
        expect((await post(url, call, [...auth, ["mcp-session-id", variant]])).status).toBe(404);
      }
      expect((await post(url, call, headers)).status).toBe(200);
      const deleted = await fetch(url, { method: "DELETE", headers: headers });
      expect(deleted.status).toBe(200);
      const answers: string[] = [];
      for (const variant of [id, ...variants]) {
        for (const body of [call, { jsonrpc: "2.0", id: 5, method: "ping" }]) {
          const reply = await post(url, body, [...auth, ["mcp-session-id", variant]]);
          answers.push(`${JSON.stringify(variant)} ${body.method}: ${reply.status}`);
        }
      }
      expect(answers.filter((answer) => !answer.endsWith(": 404"))).toEqual([]);
    });
  });
});
