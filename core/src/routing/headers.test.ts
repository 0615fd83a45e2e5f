import type { ServerConfig } from "../config/schema";
import { PROTOTYPE_KEYS } from "../own-keys";
import { buildUpstreamHeaders, forwardHeaders } from "./headers";

const server = (headers: Record<string, string> = {}): ServerConfig => ({
  name: "weather",
  url: "http://127.0.0.1:1/mcp",
  prefix: "weather_",
  headers,
});

const call = (config: ServerConfig) => ({
  server: config,
  method: "tools/call",
  targetName: "get_forecast",
  backend: { sessionId: "backend-1", protocolVersion: "2025-06-18" },
  body: Buffer.from("{}"),
});

describe("buildUpstreamHeaders", () => {
  // The API key header is the client's credential: it is removed unless the server's config sets that header itself.
  it.each(PROTOTYPE_KEYS.map((name) => name.toLowerCase()))(
    "removes a credential header named %j that the server config does not set",
    (name) => {
      expect(buildUpstreamHeaders(call(server()), [name]).removeHeaders).toContain(name);
    },
  );

  it("sets a configured upstream header named constructor and does not remove it", () => {
    const built = buildUpstreamHeaders(call(server({ Constructor: "upstream-key" })), ["constructor"]);
    expect(built.setHeaders["constructor"]).toBe("upstream-key");
    expect(built.removeHeaders).not.toContain("constructor");
  });
});

describe("forwardHeaders", () => {
  it("forwards client headers named after Object.prototype members as sent, and nothing inherited", () => {
    const client = JSON.parse('{"__proto__": "p", "constructor": "c", "accept": "a"}') as Record<string, string>;
    const forwarded = forwardHeaders(client, { setHeaders: { "x-set": "s" }, removeHeaders: [] });
    expect(Object.entries(forwarded)).toEqual([
      ["__proto__", "p"],
      ["constructor", "c"],
      ["accept", "a"],
      ["x-set", "s"],
    ]);
    expect(forwarded["toString"]).toBeUndefined();
  });

  it("drops the client's Origin: checked at the gateway's edge, a cross-origin refusal upstream otherwise", () => {
    const client = { origin: "https://app.example", accept: "a" };
    expect(forwardHeaders(client, { setHeaders: {}, removeHeaders: [] })).toEqual({ accept: "a" });
  });

  it("drops a credential header named constructor", () => {
    const built = buildUpstreamHeaders(call(server()), ["constructor"]);
    const forwarded = forwardHeaders({ constructor: "client-key", accept: "a" } as Record<string, string>, built);
    expect(forwarded["constructor"]).toBeUndefined();
    expect(forwarded["accept"]).toBe("a");
  });
});
