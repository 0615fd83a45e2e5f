import { request } from "node:http";
import type { RunningServer } from "@mcp-gateway/example-kit";
import { startModernConformanceFixture } from "./modern-fixture-server";

const DISCOVER = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "server/discover",
  params: {
    _meta: {
      "io.modelcontextprotocol/protocolVersion": "2026-07-28",
      "io.modelcontextprotocol/clientCapabilities": {},
    },
  },
});
const INITIALIZE = JSON.stringify({
  jsonrpc: "2.0",
  id: 2,
  method: "initialize",
  params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "legacy", version: "1.0.0" } },
});

// node:http (unlike fetch) lets a test send any Host header, as a DNS-rebinding browser would.
function post(url: string, body: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
    });
    req.once("response", (res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => (text += chunk.toString()));
      res.once("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.once("error", reject);
    req.end(body);
  });
}

describe("startModernConformanceFixture", () => {
  let fixture: RunningServer;
  const modern = { "mcp-protocol-version": "2026-07-28", "mcp-method": "server/discover" };

  beforeAll(async () => {
    fixture = await startModernConformanceFixture();
  });

  afterAll(async () => {
    await fixture.close();
  });

  it.each([
    ["a foreign Host and Origin", "evil.example.com", "http://evil.example.com", 403],
    ["a loopback Host with a foreign Origin", "127.0.0.1:PORT", "http://evil.example.com", 403],
    ["the URL's own Host and Origin", "127.0.0.1:PORT", "http://127.0.0.1:PORT", 200],
    ["a loopback Host without Origin", "localhost:PORT", undefined, 200],
  ])("answers server/discover with %s (Host %s, Origin %s) with %i", async (_name, host, origin, status) => {
    const port = String(fixture.port);
    const headers: Record<string, string> = { ...modern, host: host.replace("PORT", port) };
    if (origin !== undefined) headers["origin"] = origin.replace("PORT", port);
    expect((await post(fixture.url, DISCOVER, headers)).status).toBe(status);
  });

  it("names 2026-07-28 and its own serverInfo in server/discover", async () => {
    const { text } = await post(fixture.url, DISCOVER, modern);
    expect(text).toContain('"2026-07-28"');
    expect(text).toContain("mcp-gateway-conformance-fixture-2026");
  });

  it("refuses a 2025 initialize: it serves 2026-07-28 only (legacy: 'reject')", async () => {
    const { status, text } = await post(fixture.url, INITIALIZE, {});
    expect(status).toBe(400);
    expect(JSON.parse(text)).toMatchObject({ id: 2, error: { code: -32022, data: { supported: ["2026-07-28"] } } });
  });
});
