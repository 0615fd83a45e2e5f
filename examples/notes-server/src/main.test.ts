import { main } from "./main";

describe("main", () => {
  it("prints one ready line with the bound port and stops on close", async () => {
    const write = jest.spyOn(process.stdout, "write").mockImplementation(() => true);
    const running = await main(["--port", "0"], {});
    const lines = [...write.mock.calls];
    write.mockRestore();
    await running.close();
    expect(lines).toEqual([[`notes listening on http://127.0.0.1:${running.port}/mcp\n`]]);
    await expect(fetch(running.url, { method: "POST" })).rejects.toThrow();
  });

  it("handles SIGINT and SIGTERM until closed", async () => {
    const before = [process.listenerCount("SIGINT"), process.listenerCount("SIGTERM")];
    const write = jest.spyOn(process.stdout, "write").mockImplementation(() => true);
    const running = await main(["--port", "0"], {});
    write.mockRestore();
    const during = [process.listenerCount("SIGINT"), process.listenerCount("SIGTERM")];
    await running.close();
    expect(during).toEqual(before.map((n) => n + 1));
    expect([process.listenerCount("SIGINT"), process.listenerCount("SIGTERM")]).toEqual(before);
  });

  it("rejects bad arguments before listening", async () => {
    await expect(main(["--port", "x"], {})).rejects.toThrow(/invalid arguments/);
  });
});
