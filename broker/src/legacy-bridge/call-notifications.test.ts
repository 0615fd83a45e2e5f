import { LOG_LEVEL_SETTING, MemoryBackendSessionStore, type GatewayContext } from "@mcp-gateway/core";
import { callNotifications } from "./call-notifications";

// The per-call options of a legacy client's call to a 2026 upstream, read from its gateway session's recorded level
// and its request's _meta; the end-to-end behaviour is in test/src/e2e/legacy-to-modern-notifications.test.ts.
async function optionsFor(level: string | undefined, params: Record<string, unknown>) {
  const store = new MemoryBackendSessionStore(100);
  if (level !== undefined) await store.setSetting("s", LOG_LEVEL_SETTING, level, 60_000);
  const written: Record<string, unknown>[] = [];
  const context = { store } as unknown as GatewayContext;
  const options = await callNotifications(context, "s", params, (message) => void written.push(message));
  return { options, written };
}

describe("callNotifications", () => {
  it("asks for no progress without the client's token, and writes the client's token back when it has one", async () => {
    expect((await optionsFor(undefined, {})).options.onProgress).toBeUndefined();
    const { options, written } = await optionsFor(undefined, { _meta: { progressToken: "mine" } });
    options.onProgress?.({ progress: 50, total: 100, message: "half" });
    expect(written).toEqual([
      {
        jsonrpc: "2.0",
        method: "notifications/progress",
        params: { progressToken: "mine", progress: 50, total: 100, message: "half" },
      },
    ]);
  });

  it.each([
    [{ progressToken: 1.5 }],
    [{ progressToken: { nested: true } }],
    [{ progressToken: null }],
    [["progressToken"]],
  ])("ignores a progress token that is neither a string nor an integer: %j", async (meta) => {
    expect((await optionsFor(undefined, { _meta: meta })).options.onProgress).toBeUndefined();
  });

  it("sends the session's level and drops messages below it", async () => {
    const { options, written } = await optionsFor("warning", {});
    expect(options.logLevel).toBe("warning");
    for (const level of ["debug", "info", "warning", "emergency", "bogus"] as never[]) {
      options.onLog?.({ level, data: level, logger: "l", _meta: { x: 1 } } as never);
    }
    expect(written.map((m) => m["params"])).toEqual([
      { level: "warning", logger: "l", data: "warning" },
      { level: "emergency", logger: "l", data: "emergency" },
    ]);
  });

  it("sends no level when the session set none (a stored value that is no level counts as none)", async () => {
    expect((await optionsFor(undefined, {})).options.logLevel).toBeUndefined();
    expect((await optionsFor("loud", {})).options.logLevel).toBeUndefined();
  });
});
