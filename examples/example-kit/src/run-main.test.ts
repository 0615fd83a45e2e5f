import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { createMcpHttpApp, listenMcpHttpApp, type RunningServer, type StartOptions } from "./mcp-http-app";
import { runExampleMain } from "./run-main";
import { SessionRegistry } from "./session-registry";

const entry = {
  name: "kit",
  defaultPort: 0,
  start(options: StartOptions): Promise<RunningServer> {
    const sessions = new SessionRegistry(() => new McpServer({ name: "kit", version: "1.0.0" }));
    return listenMcpHttpApp(createMcpHttpApp(sessions, options), sessions, { ...options, port: options.port ?? 0 });
  },
};

describe("runExampleMain", () => {
  it("prints one ready line with the bound port and stops on close", async () => {
    const write = jest.spyOn(process.stdout, "write").mockImplementation(() => true);
    const running = await runExampleMain(entry, ["--port", "0"]);
    const lines = [...write.mock.calls];
    write.mockRestore();
    await running.close();
    expect(lines).toEqual([[`kit listening on http://127.0.0.1:${running.port}/mcp\n`]]);
    await expect(fetch(running.url, { method: "POST" })).rejects.toThrow();
  });

  it("handles SIGINT and SIGTERM until closed", async () => {
    const before = [process.listenerCount("SIGINT"), process.listenerCount("SIGTERM")];
    const write = jest.spyOn(process.stdout, "write").mockImplementation(() => true);
    const running = await runExampleMain(entry, ["--port", "0"]);
    write.mockRestore();
    const during = [process.listenerCount("SIGINT"), process.listenerCount("SIGTERM")];
    await running.close();
    expect(during).toEqual(before.map((n) => n + 1));
    expect([process.listenerCount("SIGINT"), process.listenerCount("SIGTERM")]).toEqual(before);
  });

  it("rejects bad arguments before listening", async () => {
    await expect(runExampleMain(entry, ["--port", "x"])).rejects.toThrow(/invalid arguments/);
  });
});
