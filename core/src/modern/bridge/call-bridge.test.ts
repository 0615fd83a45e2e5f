import { parseConfig } from "../../config/load";
import { GatewayError, JsonRpcErrorCode } from "../../errors";
import { createGatewayContext, type GatewayContext } from "../../gateway-context";
import { createLogger } from "../../logging";
import type { Caller } from "../../policy/admission";
import { waitUntil } from "../../testing/fixture-server";
import { startInputUpstream, type InputUpstream } from "../../testing/input-upstream";
import { createCallBridge, type CallBridge } from "./call-bridge";
import type { ModernCallInput, ModernCallOutcome } from "./modern-call";

// The call bridge against a real SDK v1 upstream over real HTTP: modern requests in, 2025 calls out, upstream
// server-to-client requests turned into input_required rounds whose sealed requestState resumes the held call.

const ALL_CAPS = { elicitation: {}, sampling: {}, roots: {} };
const KEY = "sha256:" + "0".repeat(64);

function config(url: string, extra = ""): ReturnType<typeof parseConfig> {
  const yaml = [
    "version: 1",
    `consumers: [{ name: alice, policy: all, keyHash: "${KEY}" }, { name: bob, policy: all, keyHash: "${KEY.replace(/0$/, "1")}" }, { name: carol, policy: none, keyHash: "${KEY.replace(/0$/, "2")}" }]`,
    'policies: { all: { tools: ["*"], prompts: ["*"] }, none: { tools: ["other_*"] } }',
    "health: { interval: 100ms, maxBackoff: 400ms, timeout: 1s }",
    `servers: [{ name: up, url: "${url}" }]`,
    extra,
  ];
  return parseConfig(`${yaml.join("\n")}\n`, {});
}

interface Harness {
  upstream: InputUpstream;
  context: GatewayContext;
  bridge: CallBridge;
  caller(consumer: string): Caller;
}

async function harness(extra = ""): Promise<Harness> {
  const upstream = await startInputUpstream();
  const logger = createLogger({ level: "error", sink: { write: () => undefined } });
  const context = await createGatewayContext(config(upstream.url, extra), { logger });
  await waitUntil(() => context.upstreams.catalog().resolvePrompt("up_greet") !== undefined, "the upstream's catalog");
  const bridge = createCallBridge(context);
  const caller = (consumer: string): Caller =>
    context.security.gate.caller({ consumer, policy: consumer === "carol" ? "none" : "all", method: "api-key" });
  return { upstream, context, bridge, caller };
}

async function stop(h: Harness): Promise<void> {
  h.bridge.close();
  await h.context.close();
  await h.upstream.close();
}

type Notification = { method: string; params?: Record<string, unknown> };

function request(
  h: Harness,
  params: Record<string, unknown>,
  options: Partial<ModernCallInput> & { notes?: Notification[] } = {},
): ModernCallInput {
  const notes = options.notes ?? [];
  return {
    caller: h.caller("alice"),
    method: "tools/call",
    params,
    requestId: 1,
    clientCapabilities: ALL_CAPS,
    signal: new AbortController().signal,
    notify: async (n) => void notes.push(n),
    ...options,
  };
}

function asInput(outcome: ModernCallOutcome): {
  inputRequests: Record<string, { method: string; params: Record<string, unknown> }>;
  requestState: string;
} {
  if (outcome.kind !== "input_required") throw new Error(`expected input_required, got ${JSON.stringify(outcome)}`);
  return outcome as never;
}

function textOf(outcome: ModernCallOutcome): string {
  if (outcome.kind !== "result") throw new Error(`expected a result, got ${JSON.stringify(outcome)}`);
  const content = outcome.result["content"] as { text?: string }[];
  return content.map((block) => block.text ?? "").join("");
}

async function refusal(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise;
  } catch (error: unknown) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error("expected a refusal");
}

const accept = (name: string) => ({ action: "accept", content: { name } });
const sampled = { role: "assistant", content: { type: "text", text: "Paris" }, model: "m", stopReason: "endTurn" };

describe("call bridge: input_required rounds from a 2025 upstream", () => {
  let h: Harness;
  beforeAll(async () => (h = await harness()));
  afterAll(async () => stop(h));

  it("turns an elicitation into input_required and resumes the held call with the answer", async () => {
    const call = { name: "up_ask_name", arguments: {} };
    const first = asInput(await h.bridge.call(request(h, call)));
    expect(Object.keys(first.inputRequests)).toEqual(["elicitation-1"]);
    expect(first.inputRequests["elicitation-1"]).toMatchObject({
      method: "elicitation/create",
      params: { message: "What is your name?" },
    });
    expect(first.requestState).toMatch(/^rs1\./);
    const inputResponses = { "elicitation-1": accept("Ada") };
    const done = await h.bridge.call(
      request(h, { ...call, inputResponses, requestState: first.requestState }, { requestId: 2 }),
    );
    expect(textOf(done)).toBe("Hello, Ada!");
    expect(h.bridge.held()).toBe(0);
  });

  it.each([
    ["sampling/createMessage", "up_sample", "sampling-1", sampled, "model said: Paris"],
    [
      "roots/list",
      "up_roots",
      "roots-1",
      { roots: [{ uri: "file:///a" }, { uri: "file:///b" }] },
      "roots: file:///a,file:///b",
    ],
  ])("bridges %s", async (method, name, key, answer, text) => {
    const first = asInput(await h.bridge.call(request(h, { name })));
    expect(first.inputRequests[key]?.method).toBe(method);
    const done = await h.bridge.call(
      request(h, { name, inputResponses: { [key]: answer }, requestState: first.requestState }),
    );
    expect(textOf(done)).toBe(text);
  });

  it("asks the requests an upstream sends together in one round", async () => {
    const first = asInput(await h.bridge.call(request(h, { name: "up_ask_all" })));
    const methods = Object.values(first.inputRequests)
      .map((r) => r.method)
      .sort();
    expect(methods).toEqual(["elicitation/create", "roots/list", "sampling/createMessage"]);
    const answers = Object.fromEntries(
      Object.entries(first.inputRequests).map(([key, r]) => [
        key,
        r.method === "elicitation/create"
          ? accept("Bo")
          : r.method === "roots/list"
            ? { roots: [{ uri: "file:///r" }] }
            : sampled,
      ]),
    );
    const done = await h.bridge.call(
      request(h, { name: "up_ask_all", inputResponses: answers, requestState: first.requestState }),
    );
    expect(textOf(done)).toBe("Bo | Paris | file:///r");
  });

  it("runs several rounds, and refuses the state of an answered round", async () => {
    const first = asInput(await h.bridge.call(request(h, { name: "up_ask_twice" })));
    const second = asInput(
      await h.bridge.call(
        request(h, {
          name: "up_ask_twice",
          inputResponses: { "elicitation-1": accept("Ada") },
          requestState: first.requestState,
        }),
      ),
    );
    expect(second.inputRequests["elicitation-2"]?.params["message"]).toBe("Last name?");
    const replay = await refusal(
      h.bridge.call(
        request(h, {
          name: "up_ask_twice",
          inputResponses: { "elicitation-1": accept("Eve") },
          requestState: first.requestState,
        }),
      ),
    );
    expect(replay.code).toBe(-32602);
    expect(replay.message).toMatch(/already answered/);
    const done = await h.bridge.call(
      request(h, {
        name: "up_ask_twice",
        inputResponses: { "elicitation-2": accept("Lovelace") },
        requestState: second.requestState,
      }),
    );
    expect(textOf(done)).toBe("Ada Lovelace");
  });

  it("asks again for inputs the retry did not answer (unknown keys are ignored)", async () => {
    const first = asInput(await h.bridge.call(request(h, { name: "up_ask_name" })));
    const again = asInput(
      await h.bridge.call(
        request(h, {
          name: "up_ask_name",
          inputResponses: { wrong_key: accept("x") },
          requestState: first.requestState,
        }),
      ),
    );
    expect(Object.keys(again.inputRequests)).toEqual(["elicitation-1"]);
    expect(again.requestState).not.toBe(first.requestState);
    const done = await h.bridge.call(
      request(h, {
        name: "up_ask_name",
        inputResponses: { "elicitation-1": accept("Cy"), extra: 1 },
        requestState: again.requestState,
      }),
    );
    expect(textOf(done)).toBe("Hello, Cy!");
  });

  it("refuses a malformed answer with -32602 naming its key, and the same state works once corrected", async () => {
    const first = asInput(await h.bridge.call(request(h, { name: "up_ask_name" })));
    const bad = await refusal(
      h.bridge.call(
        request(h, {
          name: "up_ask_name",
          inputResponses: { "elicitation-1": 12345 },
          requestState: first.requestState,
        }),
      ),
    );
    expect(bad.code).toBe(-32602);
    expect(bad.message).toContain('inputResponses["elicitation-1"]');
    const nulls = await refusal(
      h.bridge.call(request(h, { name: "up_ask_name", inputResponses: null, requestState: first.requestState })),
    );
    expect(nulls.code).toBe(-32602);
    const done = await h.bridge.call(
      request(h, {
        name: "up_ask_name",
        inputResponses: { "elicitation-1": accept("Di") },
        requestState: first.requestState,
      }),
    );
    expect(textOf(done)).toBe("Hello, Di!");
  });

  it("bridges prompts/get", async () => {
    const first = asInput(await h.bridge.call(request(h, { name: "up_greet" }, { method: "prompts/get" })));
    const done = await h.bridge.call(
      request(
        h,
        { name: "up_greet", inputResponses: { "elicitation-1": accept("Zoe") }, requestState: first.requestState },
        { method: "prompts/get" },
      ),
    );
    if (done.kind !== "result") throw new Error("expected a result");
    expect(done.result["messages"]).toEqual([{ role: "user", content: { type: "text", text: "Greet Zoe" } }]);
  });
});

describe("call bridge: attacks on requestState", () => {
  let h: Harness;
  beforeAll(async () => (h = await harness()));
  afterAll(async () => stop(h));

  const askName = async (): Promise<string> =>
    asInput(await h.bridge.call(request(h, { name: "up_ask_name" }))).requestState;
  const retry = (state: string, options: Partial<ModernCallInput> = {}, name = "up_ask_name") =>
    h.bridge.call(request(h, { name, inputResponses: { "elicitation-1": accept("M") }, requestState: state }, options));

  it.each([
    ["tampered (the conformance suite's edit)", (s: string) => `${s}-TAMPERED`, /not a state this gateway issued/],
    [
      "tampered (one character)",
      (s: string) => s.slice(0, 10) + (s[10] === "A" ? "B" : "A") + s.slice(11),
      /integrity|not a state/,
    ],
    ["not a string", () => 42 as unknown as string, /must be the string/],
  ])("refuses a %s requestState with -32602", async (_what, edit, message) => {
    const error = await refusal(retry(edit(await askName())));
    expect(error.code).toBe(-32602);
    expect(error.message).toMatch(message);
  });

  it("refuses another consumer's state", async () => {
    const error = await refusal(retry(await askName(), { caller: h.caller("bob") }));
    expect(error.message).toBe("requestState was issued to another consumer");
  });

  it("refuses a state presented on another request", async () => {
    const error = await refusal(retry(await askName(), {}, "up_ask_twice"));
    expect(error.message).toMatch(/issued for another request/);
  });

  it("refuses a state replayed after its call completed", async () => {
    const state = await askName();
    expect(textOf(await retry(state))).toBe("Hello, M!");
    const error = await refusal(retry(state));
    expect(error.message).toMatch(/no longer holds/);
  });

  it("checks policy before the state: a consumer denied the tool gets 403", async () => {
    const error = await refusal(retry(await askName(), { caller: h.caller("carol") }));
    expect(error.httpStatus).toBe(403);
  });
});

describe("call bridge: expiry, limits, cancellation, notifications, sessions", () => {
  it("expires an unanswered call: cancelled upstream, its state refused as expired", async () => {
    const h = await harness("sessions: { requestStateTtl: 300ms }");
    try {
      const state = asInput(await h.bridge.call(request(h, { name: "up_ask_then_wait" }))).requestState;
      await waitUntil(() => h.upstream.cancelled.length === 1, "the upstream to see the cancellation");
      expect(h.bridge.held()).toBe(0);
      const error = await refusal(
        h.bridge.call(
          request(h, {
            name: "up_ask_then_wait",
            inputResponses: { "elicitation-1": accept("x") },
            requestState: state,
          }),
        ),
      );
      expect(error.message).toMatch(/expired/);
    } finally {
      await stop(h);
    }
  });

  it("bounds held calls per consumer (429) and cancels the call it cannot hold", async () => {
    const h = await harness("limits: { maxHeldCallsPerConsumer: 1 }");
    try {
      asInput(await h.bridge.call(request(h, { name: "up_ask_name" })));
      const error = await refusal(h.bridge.call(request(h, { name: "up_ask_then_wait" })));
      expect(error.httpStatus).toBe(429);
      expect(error.message).toContain("limits.maxHeldCallsPerConsumer");
      await waitUntil(() => h.upstream.cancelled.length === 1, "the refused call to be cancelled upstream");
      asInput(await h.bridge.call(request(h, { name: "up_ask_name" }, { caller: h.caller("bob") })));
    } finally {
      await stop(h);
    }
  });

  it("reports a client that aborts before the upstream answered as a cancellation, not a timeout", async () => {
    const h = await harness();
    try {
      const abort = new AbortController();
      abort.abort();
      const error = await refusal(h.bridge.call(request(h, { name: "up_slow" }, { signal: abort.signal })));
      expect([error.httpStatus, error.message]).toEqual([503, "call cancelled: the client cancelled the request"]);
    } finally {
      await stop(h);
    }
  });

  it("cancels the upstream call when the client aborts", async () => {
    const h = await harness();
    try {
      const abort = new AbortController();
      const pending = h.bridge.call(request(h, { name: "up_slow" }, { signal: abort.signal }));
      await new Promise((resolve) => setTimeout(resolve, 200));
      abort.abort();
      await expect(pending).rejects.toThrow(/cancelled/);
      await waitUntil(() => h.upstream.cancelled.length === 1, "the upstream to see the cancellation");
    } finally {
      await stop(h);
    }
  });

  it("relays progress with the client's token and log messages at or above the request's level; prefixes URIs", async () => {
    const h = await harness();
    try {
      const notes: Notification[] = [];
      const meta = { progressToken: "client-token", "io.modelcontextprotocol/logLevel": "info" };
      const done = await h.bridge.call(request(h, { name: "up_report", _meta: meta }, { notes, logLevel: "info" }));
      if (done.kind !== "result") throw new Error("expected a result");
      expect(done.result["content"]).toEqual([{ type: "resource_link", uri: "up+note://one", name: "one" }]);
      expect(notes).toEqual([
        { method: "notifications/progress", params: { progressToken: "client-token", progress: 1, total: 2 } },
        { method: "notifications/message", params: { level: "info", data: "info line" } },
        { method: "notifications/message", params: { level: "error", data: "error line" } },
      ]);
      const quiet: Notification[] = [];
      await h.bridge.call(request(h, { name: "up_report" }, { notes: quiet }));
      expect(quiet).toEqual([]);
    } finally {
      await stop(h);
    }
  });

  it("declares the client's capabilities at initialize, one backend session per capability set", async () => {
    const h = await harness();
    try {
      const discovery = h.upstream.initialized.length;
      await h.bridge.call(request(h, { name: "up_report" }, { clientCapabilities: { sampling: {} } }));
      await h.bridge.call(request(h, { name: "up_report" }, { clientCapabilities: { sampling: {} } }));
      // An upstream that asks for a capability the client did not declare: MissingRequiredClientCapability, 400.
      await expect(
        h.bridge.call(request(h, { name: "up_ask_name" }, { clientCapabilities: { sampling: {} } })),
      ).rejects.toMatchObject({
        code: JsonRpcErrorCode.MissingRequiredClientCapability,
        httpStatus: 400,
        data: { requiredCapabilities: { elicitation: {} } },
      });
      await h.bridge.call(request(h, { name: "up_report" }, { clientCapabilities: { roots: {} } }));
      const declared = h.upstream.initialized.slice(discovery).filter((caps) => Object.keys(caps).length > 0);
      expect(declared).toEqual([{ sampling: {} }, { roots: {} }]);
    } finally {
      await stop(h);
    }
  });

  it("heals a backend session the upstream lost (404) with one replay", async () => {
    const h = await harness();
    try {
      const discovery = h.upstream.initialized.length;
      await h.bridge.call(request(h, { name: "up_report" }));
      await h.upstream.dropSessions();
      const done = await h.bridge.call(request(h, { name: "up_report" }));
      expect(done.kind).toBe("result");
      // Only the bridge's sessions declare capabilities (the catalog's own connection may re-initialize meanwhile).
      const bridged = h.upstream.initialized.slice(discovery).filter((caps) => caps.sampling !== undefined);
      expect(bridged).toHaveLength(2);
    } finally {
      await stop(h);
    }
  });
});
