import { readFile, writeFile } from "node:fs/promises";
import { pollUntil } from "../support/bounded-wait";
import { connectClient } from "./mcp-client";
import { startGatewayStack, type GatewayStack } from "./gateway-stack";

jest.setTimeout(60_000);

// Fields a running gateway cannot change (its listeners, stores, secrets) are never silently ignored on reload: the
// reload applies everything else, logs a warning naming each of them, and /status lists them until a restart (or until
// the file says again what the process runs with). What can apply on reload does (sessions.ttl: new sessions).
let stack: GatewayStack;
beforeAll(async () => {
  stack = await startGatewayStack({ kind: "standalone" });
});
afterAll(async () => {
  await stack?.stop();
});

async function restartRequired(): Promise<string[]> {
  const status = (await (await fetch(`${stack.brokerBase}/status`)).json()) as { restartRequired?: string[] };
  return status.restartRequired ?? ["<missing from /status>"];
}

async function edit(from: string, to: string): Promise<void> {
  const yaml = await readFile(stack.configPath, "utf8");
  if (!yaml.includes(from)) throw new Error(`the config has no ${from}`);
  await writeFile(stack.configPath, yaml.replace(from, to));
}

/** Seconds until a new session's id expires (`g1.<expiry in seconds, base36>.<random>.<tag>`). */
async function newSessionLifetime(): Promise<number> {
  const connected = await connectClient(stack.url);
  const id = connected.transport.sessionId ?? "";
  await connected.close();
  return parseInt(id.split(".")[1] ?? "", 36) - Date.now() / 1000;
}

describe("reloading restart-only fields (standalone gateway process)", () => {
  it("applies sessions.ttl to sessions started after the reload, with nothing pending a restart", async () => {
    expect(await newSessionLifetime()).toBeGreaterThan(3000);
    await edit("ttl: 1h", "ttl: 2m");
    expect(await pollUntil(async () => (await newSessionLifetime()) < 200, 10_000)).toBe(true);
    expect(await restartRequired()).toEqual([]);
    expect(stack.gatewayOutput()).not.toContain("take effect only after a restart");
  });

  it("warns about a changed listener, names it in /status, and keeps serving where it listens", async () => {
    const listen = /standalone: \{ listen: "127\.0\.0\.1:(\d+)" \}/.exec(await readFile(stack.configPath, "utf8"));
    const port = listen?.[1] ?? "";
    await edit(`standalone: { listen: "127.0.0.1:${port}" }`, `standalone: { listen: "127.0.0.1:1" }`);
    expect(await pollUntil(async () => (await restartRequired()).length > 0, 10_000)).toBe(true);
    expect(await restartRequired()).toEqual(["standalone.listen"]);
    // The log is written asynchronously: the line may follow /status by a moment.
    const warningLine = (): string | undefined =>
      stack
        .gatewayOutput()
        .split("\n")
        .find((line) => line.includes("take effect only after a restart"));
    expect(await pollUntil(() => warningLine() !== undefined, 10_000)).toBe(true);
    const warning = warningLine();
    expect(JSON.parse(warning ?? "{}")).toMatchObject({ level: "warn", restartRequired: ["standalone.listen"] });
    const still = await connectClient(stack.url);
    expect(still.transport.sessionId).toBeDefined();
    await still.close();
    // Back to what the process runs with: nothing pending any more.
    await edit(`standalone: { listen: "127.0.0.1:1" }`, `standalone: { listen: "127.0.0.1:${port}" }`);
    expect(await pollUntil(async () => (await restartRequired()).length === 0, 10_000)).toBe(true);
  });
});
