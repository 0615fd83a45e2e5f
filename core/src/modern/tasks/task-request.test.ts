import { Catalog, type UpstreamListing } from "../../catalog/catalog";
import { parseConfig } from "../../config/load";
import { JsonRpcErrorCode } from "../../errors";
import { parseJsonRpc, type JsonRpcRequest } from "../../jsonrpc/message";
import { AccessPolicy } from "../../policy/access-policy";
import type { Caller } from "../../policy/admission";
import { TaskIdCodec, taskNotFound } from "../task-ids";
import { routeTaskRequest, type TaskRouteDeps } from "./task-request";
import { TASKS_EXTENSION, type TaskMethod } from "./tasks-extension";

const config = parseConfig(
  `version: 1
auth: none
servers:
  - { name: jobs, url: "http://127.0.0.1:1/mcp" }
  - { name: other, url: "http://127.0.0.1:2/mcp" }
  - { name: old, url: "http://127.0.0.1:3/mcp" }
`,
  {},
);
const listing = (tools: string[]): UpstreamListing => ({
  tools: tools.map((name) => ({ name, inputSchema: { type: "object" } })),
  prompts: [],
  resources: [],
});
const catalog = Catalog.build(
  config.servers,
  new Map([
    ["jobs", listing(["build"])],
    ["other", listing(["run"])],
    ["old", listing(["legacy"])],
  ]),
);
const codec = new TaskIdCodec("0123456789abcdef0123456789abcdef");
const deps: TaskRouteDeps = {
  codec,
  servers: config.servers,
  catalog,
  generation: (server) => (server === "old" ? "2025" : "2026"),
};
const policy = (tools: string[]): AccessPolicy => new AccessPolicy("p", { tools, prompts: [], resources: [] });
const caller = (consumer: string, tools = ["*"]): Caller => ({
  identity: { method: "api-key", consumer } as Caller["identity"],
  policy: policy(tools),
});
const alice = caller("alice");

const DECLARED = { "io.modelcontextprotocol/clientCapabilities": { extensions: { [TASKS_EXTENSION]: {} } } };

function request(method: TaskMethod, params: Record<string, unknown>): JsonRpcRequest & { method: TaskMethod } {
  const message = parseJsonRpc(JSON.stringify({ jsonrpc: "2.0", id: 9, method, params }));
  if (message.kind !== "request") throw new Error("not a request");
  return { ...message, method };
}

const idFor = (server: string, consumer = "alice"): string => codec.seal({ consumer, server, taskId: "up-1" });

describe("routeTaskRequest", () => {
  it("routes to the owning server with the upstream's id in the body, other params kept", () => {
    const taskId = idFor("jobs");
    const route = routeTaskRequest(
      deps,
      alice,
      request("tasks/update", { taskId, inputResponses: { a: 1 }, _meta: DECLARED }),
    );
    expect(route).toMatchObject({ method: "tasks/update", upstreamTaskId: "up-1", clientTaskId: taskId });
    expect(route.server.name).toBe("jobs");
    expect(JSON.parse(route.body.toString())).toEqual({
      jsonrpc: "2.0",
      id: 9,
      method: "tasks/update",
      params: { taskId: "up-1", inputResponses: { a: 1 }, _meta: DECLARED },
    });
    expect(route.ids.clientId("up-1")).toBe(taskId);
  });

  it("refuses a client that did not declare the extension with 400 / -32021", () => {
    expect(() => routeTaskRequest(deps, alice, request("tasks/get", { taskId: idFor("jobs") }))).toThrow(
      expect.objectContaining({ code: JsonRpcErrorCode.MissingRequiredClientCapability, httpStatus: 400 }),
    );
  });

  it("refuses a taskId that is not a string with -32602", () => {
    expect(() => routeTaskRequest(deps, alice, request("tasks/get", { taskId: 7, _meta: DECLARED }))).toThrow(
      expect.objectContaining({ code: JsonRpcErrorCode.InvalidParams, message: expect.stringContaining("taskId") }),
    );
  });

  it.each([
    ["another consumer's id", idFor("jobs", "bob"), alice],
    ["an id of a server outside the caller's policy", idFor("jobs"), caller("alice", ["other_*"])],
    ["an id of a server no longer configured", idFor("gone"), alice],
    ["an id of a 2025 upstream (it has no tasks)", idFor("old"), alice],
    [
      "an id sealed under another secret",
      new TaskIdCodec("x".repeat(32)).seal({ consumer: "alice", server: "jobs", taskId: "up-1" }),
      alice,
    ],
    ["an upstream's raw id", "up-1", alice],
  ])("answers %s with the one 'task not found' (-32602)", (_what, taskId, who) => {
    let thrown: unknown;
    try {
      routeTaskRequest(deps, who, request("tasks/cancel", { taskId, _meta: DECLARED }));
    } catch (error: unknown) {
      thrown = error;
    }
    // The same error whatever the cause: it names only what the client sent.
    expect(thrown).toMatchObject({ code: JsonRpcErrorCode.InvalidParams, message: taskNotFound(taskId, 9).message });
  });
});
