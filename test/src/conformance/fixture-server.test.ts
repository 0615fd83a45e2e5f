import { request } from "node:http";
import type { RunningServer } from "@mcp-gateway/example-kit";
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
