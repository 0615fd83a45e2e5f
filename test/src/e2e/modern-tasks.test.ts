import { hashApiKey } from "@mcp-gateway/core";
import type { RunningServer } from "@mcp-gateway/example-kit";
import { startModernConformanceFixture } from "../conformance/modern-fixture-server";
import { startGatewayStack, type GatewayStack } from "./gateway-stack";
import { deployments } from "./stack-modes";

jest.setTimeout(120_000);

// Issue 11, item 9: the tasks extension (io.modelcontextprotocol/tasks, SEP-2663) through the gateway, with the 2026
// fixture (which implements it) behind it as `jobs`. The client gets gateway task ids (sealed for its consumer and the
// owning server), and tasks/get|update|cancel reach the owning upstream with the upstream's own id; another
// consumer's id or a tampered one is "task not found" (-32602), whatever the deployment.
const TASKS = "io.modelcontextprotocol/tasks";
const KEYS = { alice: "mcpgw_e2e_tasks_alice", bob: "mcpgw_e2e_tasks_bob" };
type Who = keyof typeof KEYS;

const ACCESS = `auth: { apiKeys: { header: authorization } }
consumers:
  - { name: alice, keyHash: "${hashApiKey(KEYS.alice)}", policy: all }
  - { name: bob, keyHash: "${hashApiKey(KEYS.bob)}", policy: all }
policies:
  all: { tools: ["*"], prompts: ["*"], resources: ["*"] }
`;

type Json = Record<string, unknown>;
interface Answer {
  status: number;
  result?: Json;
  error?: { code: number; message: string; data?: unknown };
}

let nextId = 1;

/** One 2026-07-28 request as `who` (declaring the tasks extension unless told not to); JSON or SSE answer. */
async function modern(url: string, who: Who, method: string, params: Json, declares = true): Promise<Answer> {
  // Bounded: a listen stream the gateway wrongly accepted stays open, and must fail the test rather than hang it.
  const id = nextId++;
  const capabilities = declares ? { extensions: { [TASKS]: {} } } : {};
  const meta = {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientCapabilities": capabilities,
  };
  const name = typeof params["name"] === "string" ? params["name"] : params["taskId"];
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      authorization: `Bearer ${KEYS[who]}`,
      "mcp-protocol-version": "2026-07-28",
      "mcp-method": method,
      ...(typeof name === "string" ? { "mcp-name": name } : {}),
    },
    body: JSON.stringify({ jsonrpc: "2.0", id, method, params: { ...params, _meta: meta } }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  const messages = (response.headers.get("content-type") ?? "").includes("text/event-stream")
    ? text
        .split(/\r?\n/)
        .filter((line) => line.startsWith("data:"))
        .map((line) => JSON.parse(line.slice(5)) as Json)
    : [JSON.parse(text) as Json];
  const answer = messages.find((message) => message["id"] === id);
  if (answer === undefined) throw new Error(`no answer to ${method}: HTTP ${response.status} ${text}`);
  return { status: response.status, ...(answer as { result?: Json; error?: Answer["error"] }) };
}

function resultOf(answer: Answer): Json {
  if (answer.result === undefined) throw new Error(`expected a result, got ${JSON.stringify(answer)}`);
  return answer.result;
}

/** Polls tasks/get until the task reaches `status` (or a terminal one); bounded. */
async function waitForStatus(url: string, who: Who, taskId: string, status: string): Promise<Json> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const task = resultOf(await modern(url, who, "tasks/get", { taskId }));
    if (task["status"] === status || ["completed", "failed", "cancelled"].includes(String(task["status"]))) return task;
    if (Date.now() > deadline) throw new Error(`task still ${String(task["status"])}, not ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const modes = deployments();
let fixture: RunningServer;
beforeAll(async () => {
  fixture = await startModernConformanceFixture({ port: 0 });
});
afterAll(async () => {
  await modes.stop();
  await fixture?.close();
});

describe.each(modes.all)("tasks extension through the gateway, %s", (_label, mode) => {
  let stack: GatewayStack;

  beforeAll(async () => {
    stack = await startGatewayStack(await mode(), {
      extraServers: [`name: jobs, url: "${fixture.url}", prefix: jobs_`],
      access: ACCESS,
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const create = async (who: Who, name: string, args: Json): Promise<string> => {
    const created = resultOf(await modern(stack.url, who, "tools/call", { name, arguments: args }));
    expect(created).toMatchObject({ resultType: "task", status: expect.any(String) });
    return String(created["taskId"]);
  };

  it("advertises the extension in server/discover (an upstream the consumer can use offers it)", async () => {
    const discovered = resultOf(await modern(stack.url, "alice", "server/discover", {}));
    expect(discovered["capabilities"]).toMatchObject({ extensions: { [TASKS]: {} } });
  });

  it("hands out a gateway task id, and tasks/get follows the task to its result under that id", async () => {
    const taskId = await create("alice", "jobs_slow_compute", { seconds: 0.3, label: "e2e" });
    // A sealed gateway id, not the fixture's UUID.
    expect(taskId).toMatch(/^t1\.[A-Za-z0-9_-]+$/);
    const done = await waitForStatus(stack.url, "alice", taskId, "completed");
    expect(done).toMatchObject({ taskId, status: "completed", resultType: "complete" });
    expect(done["result"]).toMatchObject({ content: [{ type: "text", text: "Computed e2e after 0.3 s" }] });
  });

  it("cancels a task: an empty acknowledgement, then the task reads cancelled", async () => {
    const taskId = await create("alice", "jobs_slow_compute", { seconds: 30 });
    const ack = await modern(stack.url, "alice", "tasks/cancel", { taskId });
    expect(ack.error).toBeUndefined();
    expect(Object.keys(resultOf(ack)).sort()).toEqual(["_meta", "resultType"]);
    expect(await waitForStatus(stack.url, "alice", taskId, "cancelled")).toMatchObject({ taskId, status: "cancelled" });
  });

  it("delivers tasks/update input to an input_required task, which then completes", async () => {
    const taskId = await create("alice", "jobs_confirm_delete", { filename: "report.txt" });
    const waiting = await waitForStatus(stack.url, "alice", taskId, "input_required");
    expect(waiting).toMatchObject({ taskId, status: "input_required", inputRequests: { confirm: expect.any(Object) } });
    const answer = { action: "accept", content: { confirm: true } };
    const ack = await modern(stack.url, "alice", "tasks/update", { taskId, inputResponses: { confirm: answer } });
    expect(Object.keys(resultOf(ack)).sort()).toEqual(["_meta", "resultType"]);
    const done = await waitForStatus(stack.url, "alice", taskId, "completed");
    expect(done["result"]).toMatchObject({ content: [{ type: "text", text: "Deleted report.txt" }] });
  });

  it("refuses another consumer's task id as not found, for every tasks method, and leaves the task alone", async () => {
    const taskId = await create("alice", "jobs_slow_compute", { seconds: 30 });
    for (const [method, extra] of [
      ["tasks/get", {}],
      ["tasks/update", { inputResponses: {} }],
      ["tasks/cancel", {}],
    ] as const) {
      const refused = await modern(stack.url, "bob", method, { taskId, ...extra });
      expect(refused.error).toMatchObject({ code: -32602, message: expect.stringContaining("task not found") });
      expect(JSON.stringify(refused.error)).not.toContain("jobs");
    }
    expect(resultOf(await modern(stack.url, "alice", "tasks/get", { taskId }))).toMatchObject({ status: "working" });
    await modern(stack.url, "alice", "tasks/cancel", { taskId });
  });

  it("refuses a tampered id and an upstream-style id as not found", async () => {
    const taskId = await create("alice", "jobs_slow_compute", { seconds: 0.1 });
    const last = taskId.at(-1) === "A" ? "B" : "A";
    for (const forged of [`${taskId.slice(0, -1)}${last}`, "786512e2-9e0d-44bd-8f29-789f320fe840"]) {
      const refused = await modern(stack.url, "alice", "tasks/get", { taskId: forged });
      expect(refused.error).toMatchObject({ code: -32602, message: expect.stringContaining("task not found") });
    }
  });

  it("answers a client that did not declare the extension: tasks/* and task listens 400 / -32021, tools in sync", async () => {
    const refused = await modern(stack.url, "alice", "tasks/get", { taskId: "t1.AAAA" }, false);
    expect(refused.status).toBe(400);
    expect(refused.error).toMatchObject({
      code: -32021,
      data: { requiredCapabilities: { extensions: { [TASKS]: {} } } },
    });
    const listen = await modern(
      stack.url,
      "alice",
      "subscriptions/listen",
      { notifications: { taskIds: ["t1.x"] } },
      false,
    );
    expect(listen.status).toBe(400);
    expect(listen.error).toMatchObject({ code: -32021 });
    const answer = await modern(stack.url, "alice", "tools/call", { name: "jobs_slow_compute", arguments: {} }, false);
    expect(resultOf(answer)).toMatchObject({ resultType: "complete", content: [{ type: "text" }] });
    expect(resultOf(answer)["taskId"]).toBeUndefined();
  });
});
