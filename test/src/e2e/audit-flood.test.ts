import { stat } from "node:fs/promises";
import { connectClient, rawPost, untilRouted, type ConnectedClient } from "./mcp-client";
import { startSecureStack, type SecureStack } from "./security-stack";
import { deployments } from "./stack-modes";

jest.setTimeout(120_000);

const modes = deployments();
afterAll(async () => {
  await modes.stop();
});

const REFUSALS = 30;
// Default audit.refusalBudget: 20 at once, then 1/s.
const BUDGET_BURST = 20;
// Within the stack's 64 KiB body cap: a name and an id of 30 000 characters each (the attack used 500 KB).
const HUGE = 30_000;

// Issue 9, hole 5: refused calls spend no rate-limit token, so huge names and ids must neither bloat the audit sink
// nor rotate real events out of it: fields are capped, and past the consumer's refusal budget refusals are answered but
// only counted.
describe.each(modes.all)("audit flooding (%s)", (_label, mode) => {
  let secure: SecureStack;
  let alice: ConnectedClient;
  let stopped = false;

  beforeAll(async () => {
    secure = await startSecureStack(await mode());
    alice = await connectClient(secure.stack.url, "alice", secure.as.alice);
  });
  /**
   * In a split deployment the router discovers upstreams on its own, a little after the broker: wait with a request
   * that is never audited (a subscribe by ops), so the wait puts nothing on record and spends no one's budget.
   */
  const untilRouterKnowsWeather = async (): Promise<void> => {
    const ops = await connectClient(secure.stack.url, "ops", secure.as.ops);
    const body = JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "resources/subscribe",
      params: { uri: "weather+weather://cities" },
    });
    const headers = { ...secure.as.ops, "mcp-session-id": ops.transport.sessionId ?? "" };
    const unknown = (r: Awaited<ReturnType<typeof rawPost>>): boolean =>
      JSON.stringify(r.json["error"] ?? "").includes("unknown resource");
    await untilRouted(
      () => rawPost(secure.stack.url, body, headers),
      (r) => !unknown(r),
    );
    await ops.close();
  };

  afterAll(async () => {
    await alice.close();
    if (!stopped) await secure.stop();
    await secure.remove();
  });

  it("keeps the audit file bounded and real events in it; refusals past the budget are answered but suppressed", async () => {
    await untilRouterKnowsWeather();
    await alice.client.callTool({ name: "weather_get_forecast", arguments: { city: "Paris" } });
    const started = Date.now();
    const headers = { ...secure.as.alice, "mcp-session-id": alice.transport.sessionId ?? "" };
    const replies = [];
    for (let i = 0; i < REFUSALS; i += 1) {
      const name = `${String(i).padStart(2, "0")}${"x".repeat(HUGE)}`;
      const id = `${String(i).padStart(2, "0")}${"i".repeat(HUGE)}`;
      const body = JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: {} } });
      replies.push(await rawPost(secure.stack.url, body, headers));
    }
    const elapsedSeconds = (Date.now() - started) / 1000;
    for (const reply of replies) {
      const error = reply.json["error"] as { code: number; message: string };
      expect(error.code).toBe(-32602);
      // The name is not echoed whole: the message stays small whatever the client sent.
      expect(error.message.length).toBeLessThan(1_024);
    }
    const metrics = await (await fetch(secure.stack.routerMetricsUrl)).text();
    const line = metrics.split("\n").find((l) => l.startsWith("mcp_gateway_audit_suppressed_events_total "));
    const suppressed = Number(line?.split(" ")[1] ?? Number.NaN);

    await secure.stop();
    stopped = true;
    const events = await secure.auditEvents();
    const rejected = events.filter((e) => e["decision"] === "rejected" && e["consumer"] === "alice");
    expect(events.some((e) => e["decision"] === "allowed" && e["target"] === "weather_get_forecast")).toBe(true);
    // The budget's burst, plus what it refilled (1/s) while the calls ran; every other refusal was counted instead.
    expect(rejected.length).toBeGreaterThanOrEqual(BUDGET_BURST);
    expect(rejected.length).toBeLessThanOrEqual(BUDGET_BURST + Math.ceil(elapsedSeconds) + 1);
    expect(rejected.length + suppressed).toBe(REFUSALS);
    for (const event of rejected) expect(JSON.stringify(event).length).toBeLessThan(2_048);
    // 30 refusals of 60 KB each made a 1.8 MB file before the caps; now the whole file is a few KB per event.
    expect((await stat(secure.auditPath)).size).toBeLessThan(REFUSALS * 2_048);
  });
});
