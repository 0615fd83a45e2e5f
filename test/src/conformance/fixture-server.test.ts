import { request } from "node:http";
import type { RunningServer } from "@mcp-gateway/example-kit";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { X_MCP_HEADER_INPUT } from "./fixture-bridged-tools";
import { startConformanceFixture } from "./fixture-server";
import { main } from "./main";

const INITIALIZE = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "dns-test", version: "1.0.0" } },
});

// node:http (unlike fetch) lets a test send any Host header, as a DNS-rebinding browser would.
function postInitialize(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
    });
    req.once("response", (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once("error", reject);
    req.end(INITIALIZE);
  });
}

describe("startConformanceFixture: DNS-rebinding protection", () => {
  let fixture: RunningServer;

  beforeAll(async () => {
    fixture = await startConformanceFixture();
  });

  afterAll(async () => {
    await fixture.close();
  });

  it.each([
    ["a foreign Host and Origin (the suite's attack)", "evil.example.com", "http://evil.example.com", 403],
    ["a loopback Host with a foreign Origin", "127.0.0.1:PORT", "http://evil.example.com", 403],
    ["a loopback Host with Origin null", "127.0.0.1:PORT", "null", 403],
    ["the URL's own Host and Origin (the suite's control)", "127.0.0.1:PORT", "http://127.0.0.1:PORT", 200],
    ["localhost Host and Origin", "localhost:PORT", "http://localhost:PORT", 200],
    ["a loopback Host without Origin (a non-browser client)", "127.0.0.1:PORT", undefined, 200],
  ])("answers %s (Host %s, Origin %s) with %i", async (_name, host, origin, status) => {
    const port = String(fixture.port);
    const headers: Record<string, string> = { host: host.replace("PORT", port) };
    if (origin !== undefined) headers["origin"] = origin.replace("PORT", port);
    expect(await postInitialize(fixture.url, headers)).toBe(status);
  });
});

describe("startConformanceFixture: the SEP-2243 tool", () => {
  // http-custom-header-server-validation picks the first tool with an x-mcp-header string property: with the 2025
  // fixture behind the gateway, the gateway (not this fixture) must then check Mcp-Param-Region against the body.
  it("lists test_x_mcp_header with region mirrored into Mcp-Param-Region, as the 2026 fixture does", async () => {
    const fixture = await startConformanceFixture();
    const client = new Client({ name: "x-mcp-header-test", version: "1.0.0" });
    try {
      await client.connect(new StreamableHTTPClientTransport(new URL(fixture.url)));
      const { tools } = await client.listTools();
      const tool = tools.find((candidate) => candidate.name === "test_x_mcp_header");
      expect(tool?.inputSchema.properties?.["region"]).toEqual({
        type: "string",
        description: "mirrored into Mcp-Param-Region",
        "x-mcp-header": "Region",
      });
      expect(tool?.inputSchema).toEqual(X_MCP_HEADER_INPUT);
      const result = await client.callTool({ name: "test_x_mcp_header", arguments: { region: "eu-west" } });
      expect(result.content).toEqual([{ type: "text", text: "region=eu-west" }]);
    } finally {
      await client.close();
      await fixture.close();
    }
  });
});

describe("main", () => {
  it("prints one ready line with the bound port and closes cleanly", async () => {
    const write = jest.spyOn(process.stdout, "write").mockImplementation(() => true);
    try {
      const running = await main(["--port", "0"], {});
      expect(write).toHaveBeenCalledWith(`conformance fixture listening on http://127.0.0.1:${running.port}/mcp\n`);
      await running.close();
    } finally {
      write.mockRestore();
    }
  });

  it.each([[["--host", "0.0.0.0"]], [["--allowed-host", "example.com"]]])("refuses %j", async (argv) => {
    await expect(main(argv, {})).rejects.toThrow("binds 127.0.0.1");
  });
});
