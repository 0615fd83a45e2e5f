import { replyRewriter, rewriteWhole } from "../../routing/reply-rewriter";
import { Redactor, type ResultRedactor } from "../../sanitize";
import { TaskIdCodec } from "../task-ids";
import { createdTaskIds, knownTaskIds } from "./task-reply";
import { declaresTasks, TASKS_EXTENSION } from "./tasks-extension";

const codec = new TaskIdCodec("0123456789abcdef0123456789abcdef");
const owner = { consumer: "alice", server: "jobs", target: "jobs_build" };
const server = { name: "jobs", prefix: "jobs_" };
const JSON_HEAD = { "content-type": "application/json" };
const SSE_HEAD = { "content-type": "text/event-stream" };
const UPSTREAM_ID = "786512e2-9e0d-44bd-8f29-789f320fe840";

const json = (message: object): Buffer => Buffer.from(JSON.stringify(message));
const parsed = (body: Buffer): { result?: Record<string, unknown>; params?: Record<string, unknown> } =>
  JSON.parse(body.toString()) as { result?: Record<string, unknown> };
const sseData = (body: Buffer): Record<string, unknown>[] =>
  body
    .toString()
    .split("\n")
    .filter((line) => line.startsWith("data: "))
    .map((line) => JSON.parse(line.slice(6)) as Record<string, unknown>);
const task = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  taskId: UPSTREAM_ID,
  status: "working",
  createdAt: "2026-01-01T00:00:00Z",
  lastUpdatedAt: "2026-01-01T00:00:00Z",
  ttlMs: 60_000,
  ...extra,
});

describe("task ids in replies of calls that may create a task (tools/call declaring the extension)", () => {
  const call = { server, method: "tools/call", requestId: 1, tasks: createdTaskIds(codec, owner) };

  it("seals the upstream's id of a CreateTaskResult for the consumer, the server and the tool", () => {
    const rewriter = replyRewriter(JSON_HEAD, call);
    const result = parsed(
      rewriteWhole(rewriter!, json({ jsonrpc: "2.0", id: 1, result: task({ resultType: "task" }) })),
    ).result as Record<string, unknown>;
    expect(result).toMatchObject({ resultType: "task", status: "working" });
    expect(result["taskId"]).not.toBe(UPSTREAM_ID);
    expect(codec.open(String(result["taskId"]), "alice")).toMatchObject({
      ok: true,
      server: "jobs",
      taskId: UPSTREAM_ID,
      target: "jobs_build",
    });
    expect(codec.open(String(result["taskId"]), "bob")).toEqual({ ok: false, reason: "forged" });
  });

  it("leaves a synchronous result alone even when it has a taskId field", () => {
    const rewriter = replyRewriter(JSON_HEAD, call);
    const sync = { resultType: "complete", taskId: "mine", content: [] };
    expect(parsed(rewriteWhole(rewriter!, json({ jsonrpc: "2.0", id: 1, result: sync }))).result).toEqual(sync);
  });

  it("seals a task result sent on an SSE reply, with the id spelled with escapes", () => {
    const rewriter = replyRewriter(SSE_HEAD, call);
    const escaped = JSON.stringify({ jsonrpc: "2.0", id: 1, result: task({ resultType: "task" }) }).replace(
      '"taskId"',
      '"\\u0074askId"',
    );
    const [message] = sseData(rewriteWhole(rewriter!, Buffer.from(`data: ${escaped}\n\n`)));
    const result = message?.["result"] as Record<string, unknown>;
    expect(codec.open(String(result["taskId"]), "alice")).toMatchObject({ ok: true, taskId: UPSTREAM_ID });
  });
});

describe("task ids in replies of tasks/get|update|cancel", () => {
  const clientId = codec.seal({ ...owner, taskId: UPSTREAM_ID });
  const ids = knownTaskIds(codec, owner, { upstreamId: UPSTREAM_ID, clientId });
  const call = { server, method: "tasks/get", requestId: 2, tasks: ids };

  it("gives back the very id the client sent, and prefixes resource URIs of the inlined result", () => {
    const inlined = { content: [{ type: "resource_link", uri: "file:///r.txt", name: "r" }] };
    const reply = json({ jsonrpc: "2.0", id: 2, result: task({ status: "completed", result: inlined }) });
    const result = parsed(rewriteWhole(replyRewriter(JSON_HEAD, call)!, reply)).result as Record<string, unknown>;
    expect(result["taskId"]).toBe(clientId);
    expect(result["result"]).toEqual({ content: [{ type: "resource_link", uri: "jobs+file:///r.txt", name: "r" }] });
  });

  it("maps notifications/tasks on the reply stream to the client's id", () => {
    const note = { jsonrpc: "2.0", method: "notifications/tasks", params: task({ status: "completed" }) };
    const [message] = sseData(
      rewriteWhole(replyRewriter(SSE_HEAD, call)!, Buffer.from(`data: ${JSON.stringify(note)}\n\n`)),
    );
    expect(message?.["params"]).toMatchObject({ taskId: clientId, status: "completed" });
  });

  it("redacts the inlined result with the redaction of the tool that created the task", () => {
    const redactor = new Redactor([{ keys: ["password"] }]).forCall({
      server: "jobs",
      method: "tools/call",
      target: "jobs_build",
    }) as ResultRedactor;
    const inlined = { structuredContent: { password: "hunter2" }, content: [] };
    const reply = json({ jsonrpc: "2.0", id: 2, result: task({ status: "completed", result: inlined }) });
    const out = rewriteWhole(replyRewriter(JSON_HEAD, { ...call, redactor })!, reply).toString();
    expect(out).not.toContain("hunter2");
    const note = { jsonrpc: "2.0", method: "notifications/tasks", params: task({ result: inlined }) };
    const sse = replyRewriter(SSE_HEAD, { ...call, redactor })!;
    expect(rewriteWhole(sse, Buffer.from(`data: ${JSON.stringify(note)}\n\n`)).toString()).not.toContain("hunter2");
  });

  it("seals any other id the upstream names, for the same consumer and server", () => {
    const other = ids.clientId("another");
    expect(codec.open(other, "alice")).toMatchObject({ ok: true, server: "jobs", taskId: "another" });
  });
});

describe("declaresTasks", () => {
  const meta = (capabilities: unknown): Record<string, unknown> => ({
    _meta: { "io.modelcontextprotocol/clientCapabilities": capabilities },
  });

  it.each([
    ["an empty object", meta({ extensions: { [TASKS_EXTENSION]: {} } }), true],
    ["any value, as SDK servers read it", meta({ extensions: { [TASKS_EXTENSION]: true } }), true],
    ["no extensions", meta({}), false],
    ["another extension", meta({ extensions: { "example/other": {} } }), false],
    ["no _meta", {}, false],
    ["params that are not an object", [], false],
    ["an inherited name only", meta(JSON.parse(`{"__proto__": {"extensions": {"${TASKS_EXTENSION}": {}}}}`)), false],
  ])("%s", (_what, params, expected) => {
    expect(declaresTasks(params)).toBe(expected);
  });
});
