import type { RunningProcess } from "@mcp-gateway/example-kit";
import { startServerEverything } from "@mcp-gateway/local-stack";
import { freePort } from "../support/redis-server";
import {
  connectTarget,
  EVERYTHING_PREFIX,
  EVERYTHING_URI_PREFIX,
  normalise,
  outcome,
  ownItems,
  revealNames,
  settleLogs,
  type Target,
} from "./differential-ops";
import { startGatewayStack, type GatewayStack, type StackMode } from "./gateway-stack";

/**
 * Differential test of protocol fidelity: every operation runs against @modelcontextprotocol/server-everything
 * directly and through the gateway, and the two outcomes must be equal once the gateway's `everything_` prefixes are
 * mapped back (see `Target.reveal`) and server-everything's own nondeterminism is removed (see `normalise`).
 */

jest.setTimeout(30_000);

let everything: RunningProcess;
let everythingUrl: string;
let direct: Target;

beforeAll(async () => {
  const port = await freePort();
  everything = await startServerEverything(port);
  everythingUrl = `http://127.0.0.1:${port}/mcp`;
  direct = await connectTarget(everythingUrl, "");
});
afterAll(async () => {
  await direct?.close();
  await everything?.stop();
});

type Op = (target: Target) => Promise<unknown>;

const lists: [string, Op][] = [
  ["tools", async (t) => revealNames(t, (await t.client.listTools()).tools)],
  ["prompts", async (t) => revealNames(t, (await t.client.listPrompts()).prompts)],
  ["resources", async (t) => ownItems((await t.client.listResources()).resources, "uri")],
  [
    "resource templates",
    async (t) => ownItems((await t.client.listResourceTemplates()).resourceTemplates, "uriTemplate"),
  ],
];

// Deterministic tools only: get-env (the environment differs), toggle-* (timers, random levels),
// gzip-file-as-resource (fetches from the internet) and the task, sampling and elicitation tools are left out.
const toolCalls: [string, Record<string, unknown>][] = [
  ["echo", { message: "differential" }],
  ["get-sum", { a: 2, b: 40 }],
  ["get-sum", { a: "two", b: 40 }],
  ["get-tiny-image", {}],
  ["get-structured-content", { location: "Chicago" }],
  ["get-annotated-message", { messageType: "error", includeImage: true }],
  ["get-annotated-message", { messageType: "success" }],
  ["get-resource-links", { count: 2 }],
  ["get-resource-reference", { resourceType: "Blob", resourceId: 2 }],
];

const promptGets: [string, Record<string, string> | undefined][] = [
  ["simple-prompt", undefined],
  ["args-prompt", { city: "Paris" }],
  ["args-prompt", { city: "Austin", state: "Texas" }],
  ["args-prompt", {}],
  ["completable-prompt", { department: "Sales", name: "Eve" }],
  ["resource-prompt", { resourceType: "Text", resourceId: "1" }],
  ["resource-prompt", { resourceType: "Blob", resourceId: "2" }],
  ["resource-prompt", { resourceType: "Video", resourceId: "1" }],
];

const TEXT_TEMPLATE = "demo://resource/dynamic/text/{resourceId}";

const completions: [string, Op][] = [
  [
    "a prompt argument",
    (t) =>
      t.client.complete({
        ref: { type: "ref/prompt", name: t.expose("completable-prompt") },
        argument: { name: "department", value: "S" },
      }),
  ],
  [
    "a prompt argument in the context of another",
    (t) =>
      t.client.complete({
        ref: { type: "ref/prompt", name: t.expose("completable-prompt") },
        argument: { name: "name", value: "" },
        context: { arguments: { department: "Engineering" } },
      }),
  ],
  [
    "a resource template variable",
    (t) =>
      t.client.complete({
        ref: { type: "ref/resource", uri: t.exposeUri(TEXT_TEMPLATE) },
        argument: { name: "resourceId", value: "7" },
      }),
  ],
];

const modes: [string, StackMode][] = [
  ["standalone", { kind: "standalone" }],
  ["Envoy mode, memory store", { kind: "envoy", store: "memory" }],
];

describe.each(modes)("server-everything directly and through the gateway (%s)", (_label, mode) => {
  let stack: GatewayStack;
  let through: Target;
  const extra: Target[] = [];

  beforeAll(async () => {
    stack = await startGatewayStack(mode, { extraServers: [`name: everything, url: "${everythingUrl}"`] });
    through = await connectTarget(stack.url, EVERYTHING_PREFIX, EVERYTHING_URI_PREFIX);
  });
  afterAll(async () => {
    await Promise.all([through, ...extra].map((t) => t?.close()));
    await stack?.stop();
  });

  /** The outcome of `op` through the gateway and directly, both normalised. */
  async function both(op: Op, targets: [Target, Target] = [through, direct]): Promise<[unknown, unknown]> {
    const [gateway, server] = targets;
    const results = await Promise.all([outcome(op(gateway)), outcome(op(server))]);
    return [normalise(gateway, results[0]), normalise(server, results[1])];
  }

  it.each(lists)("lists the same %s", async (_what, op) => {
    const [viaGateway, directly] = await both(op);
    expect(viaGateway).toEqual(directly);
  });

  it.each(toolCalls)("returns the same result for tools/call %s %j", async (name, args) => {
    const [viaGateway, directly] = await both((t) => t.client.callTool({ name: t.expose(name), arguments: args }));
    expect(viaGateway).toEqual(directly);
  });

  it.each(promptGets)("returns the same prompt for prompts/get %s %j", async (name, args) => {
    const [viaGateway, directly] = await both((t) =>
      t.client.getPrompt({ name: t.expose(name), ...(args ? { arguments: args } : {}) }),
    );
    expect(viaGateway).toEqual(directly);
  });

  it("reads every listed resource the same", async () => {
    const [viaGateway, directly] = await both(async (t) => {
      const listed = ownItems((await t.client.listResources()).resources, "uri");
      return Promise.all(listed.map((r) => outcome(t.client.readResource({ uri: r.uri }))));
    });
    expect(viaGateway).toEqual(directly);
  });

  it("reads the same resource from a URI built from each listed template", async () => {
    const [viaGateway, directly] = await both(async (t) => {
      const listed = ownItems((await t.client.listResourceTemplates()).resourceTemplates, "uriTemplate");
      const uris = listed.map((r) => r.uriTemplate.replace("{resourceId}", "3"));
      return Promise.all(uris.map((uri) => outcome(t.client.readResource({ uri }))));
    });
    expect(viaGateway).toEqual(directly);
  });

  it.each(completions)("completes %s the same", async (_what, op) => {
    const [viaGateway, directly] = await both(op);
    expect(viaGateway).toEqual(directly);
  });

  it("relays the same progress notifications of a long call", async () => {
    const [viaGateway, directly] = await both(async (t) => {
      const progress: unknown[] = [];
      const result = await t.client.callTool(
        { name: t.expose("trigger-long-running-operation"), arguments: { duration: 0.3, steps: 3 } },
        undefined,
        { onprogress: (p) => progress.push(p) },
      );
      return { result, progress };
    });
    expect(viaGateway).toEqual(directly);
    expect((directly as { result: { progress: unknown[] } }).result.progress).toHaveLength(3);
  });

  it("relays the same log messages, filtered at the level the client set", async () => {
    // Fresh clients: each has its own level, and its own backend session behind the gateway.
    const fresh = await Promise.all([
      connectTarget(stack.url, EVERYTHING_PREFIX, EVERYTHING_URI_PREFIX),
      connectTarget(everythingUrl, ""),
    ]);
    extra.push(...fresh);
    const uri = "demo://resource/static/document/architecture.md";
    const [viaGateway, directly] = await both(async (t) => {
      // server-everything acknowledges (un)subscribe requests with an info log message on the GET stream. The first
      // is also the first message of a new backend session behind the gateway. The unsubscribe one is below "error"
      // and must not arrive; the same stream carries the second subscribe one after it, so once that has arrived, a
      // wrongly sent unsubscribe message would have too.
      await t.client.setLoggingLevel("info");
      await t.client.subscribeResource({ uri: t.exposeUri(uri) });
      await t.client.setLoggingLevel("error");
      await t.client.unsubscribeResource({ uri: t.exposeUri(uri) });
      await t.client.setLoggingLevel("info");
      await t.client.subscribeResource({ uri: t.exposeUri(uri) });
      await settleLogs(() => t.logs.filter((log) => String(log.data).startsWith("Received Subscribe")).length >= 2);
      // The message names the (backend) session, which the gateway never shows its client: not comparable.
      return t.logs.map((log) => ({ ...log, data: String(log.data).replace(/session \S+$/, "session <id>") }));
    }, fresh);
    expect(viaGateway).toEqual(directly);
    expect((directly as { result: unknown[] }).result).toHaveLength(2);
  });
});
