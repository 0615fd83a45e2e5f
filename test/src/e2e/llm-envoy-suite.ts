import OpenAI from "openai";
import { openTokenBudgets, tokenBudgetKey } from "@mcp-gateway/core";
import { pollUntil } from "../support/bounded-wait";
import type { StackMode } from "./gateway-stack";
import {
  CAROL_TOTAL_PER_MINUTE,
  KEYS,
  PROVIDER_KEY,
  startLlmEnvoyStack,
  toolResults,
  type LlmEnvoyStack,
} from "./llm-envoy-stack";

type Json = Record<string, unknown>;

const WEATHER = "Weather in Paris?";

/** Every gateway process's audit event matching `match`, polled until one appears (events are written async). */
async function awaitEvent(llm: LlmEnvoyStack, process: number, match: (event: Json) => boolean): Promise<Json> {
  const find = (): Json | undefined => llm.auditEvents()[process]?.find(match);
  if (!(await pollUntil(() => find() !== undefined, 5000)))
    throw new Error(`the expected audit event never came; got:\n${JSON.stringify(llm.auditEvents()[process])}`);
  return find()!;
}

/** Which process writes which events: the one process, or the router (tool calls) and the broker (LLM requests). */
function processes(mode: StackMode): { router: number; broker: number } {
  return mode.kind === "envoy" && mode.store === "redis" ? { router: 0, broker: 1 } : { router: 0, broker: 0 };
}

/**
 * The LLM proxy end to end under the real Envoy: the OpenAI SDK calls Envoy's /v1, Envoy routes it to the broker
 * (which authenticates it), the scripted provider asks for MCP tools, and the gateway calls them through Envoy and the
 * router (`llm.mcpUrl` is Envoy's listener) with the consumer's identity.
 */
export function describeLlmProxyUnderEnvoy(label: string, mode: () => Promise<StackMode>): void {
  let llm: LlmEnvoyStack;
  let alice: OpenAI;
  let where: { router: number; broker: number };

  describe(`LLM proxy under the real Envoy: ${label}`, () => {
    beforeAll(async () => {
      const stackMode = await mode();
      where = processes(stackMode);
      llm = await startLlmEnvoyStack(stackMode);
      alice = llm.client(KEYS.alice);
    });
    afterAll(async () => {
      await llm?.stop();
    });
    beforeEach(() => void llm.provider.requests.splice(0));

    it("chat completion: one MCP tool round through Envoy and the router, then the final answer", async () => {
      const since = Date.now();
      const completion = await alice.chat.completions.create({
        model: "gpt-4o",
        messages: [{ role: "user", content: WEATHER }],
      });
      expect(completion.choices[0]?.message.content).toContain("Here is what the tools said:");
      expect(completion.choices[0]?.message.content).toContain("Paris");
      const [first, second] = llm.provider.requests;
      expect(first?.headers.authorization).toBe(`Bearer ${PROVIDER_KEY}`);
      const offered = (first?.body?.["tools"] as { function: { name: string } }[]).map((tool) => tool.function.name);
      expect(offered).toContain("weather_get_forecast");
      expect(offered.some((name) => name.startsWith("notes_"))).toBe(false);
      expect(toolResults(second).join()).toContain("Paris");
      expect(completion.usage).toMatchObject({ prompt_tokens: 20, completion_tokens: 10, total_tokens: 30 });
      // Envoy sent the LLM request to the broker and the gateway's tool call (a POST to /mcp) to the MCP route.
      const envoy = llm.stack.envoy!;
      expect(await envoy.routeSince(since, (r) => r.path === "/v1/chat/completions")).toMatchObject({
        cluster: "mcp_broker",
        status: 200,
      });
      const toolCall = await envoy.routeSince(since, (r) => r.path === "/mcp" && r.line["mcp_method"] === "tools/call");
      expect(toolCall).toMatchObject({ status: 200, line: { mcp_consumer: "alice", mcp_server: "weather" } });
    });

    it("chat completion streamed: text deltas, the tool's progress chunks and the summed usage", async () => {
      const stream = await alice.chat.completions.create({
        model: "gpt-4o",
        messages: [{ role: "user", content: WEATHER }],
        stream: true,
        stream_options: { include_usage: true },
      });
      let answer = "";
      let chunks = 0;
      const progress: unknown[] = [];
      let usage: unknown;
      for await (const chunk of stream) {
        chunks++;
        answer += chunk.choices[0]?.delta.content ?? "";
        const calls = (chunk as unknown as { mcp_tool_calls?: unknown[] }).mcp_tool_calls;
        if (calls) progress.push(...calls);
        if (chunk.usage) usage = chunk.usage;
      }
      expect(answer).toContain("Paris");
      expect(chunks).toBeGreaterThan(4);
      expect(progress).toEqual([
        expect.objectContaining({ name: "weather_get_forecast", status: "in_progress" }),
        expect.objectContaining({ name: "weather_get_forecast", status: "completed" }),
      ]);
      expect(usage).toMatchObject({ total_tokens: 30 });
    });

    it("responses streamed: the mcp_call events come through Envoy as they happen, before the model's answer", async () => {
      // "slowly": the provider stalls its final answer 1.5 s midway; the tool's events must not wait for it.
      const stream = await alice.responses.create({ model: "gpt-4o", input: `${WEATHER} slowly`, stream: true });
      const seen: { type: string; at: number }[] = [];
      let answer = "";
      let completed: OpenAI.Responses.Response | undefined;
      for await (const event of stream) {
        seen.push({ type: event.type, at: Date.now() });
        if (event.type === "response.output_text.delta") answer += event.delta;
        if (event.type === "response.completed") completed = event.response;
      }
      const types = seen.map((event) => event.type);
      expect(types[0]).toBe("response.created");
      expect(types.indexOf("response.mcp_call.in_progress")).toBeLessThan(types.indexOf("response.mcp_call.completed"));
      expect(types.indexOf("response.mcp_call.completed")).toBeLessThan(types.indexOf("response.output_text.delta"));
      const at = (type: string): number => seen.find((event) => event.type === type)!.at;
      expect(at("response.completed") - at("response.mcp_call.completed")).toBeGreaterThanOrEqual(1000);
      expect(answer).toContain("Paris");
      expect(completed?.output.map((item) => item.type)).toEqual(["mcp_call", "message"]);
      expect(completed?.output[0]).toMatchObject({ name: "weather_get_forecast", server_label: "mcp-gateway" });
      expect(completed?.usage?.total_tokens).toBe(30);
    });

    it("a tool the policy denies: the provider gets the refusal as the tool result; the router audits it", async () => {
      const completion = await alice.chat.completions.create({
        model: "gpt-4o",
        messages: [{ role: "user", content: "Add a note" }],
      });
      const results = toolResults(llm.provider.requests[1]);
      expect(results).toHaveLength(1);
      expect(results[0]).toMatch(/^Tool call refused: .*notes_add_note/);
      expect(completion.choices[0]?.message.content).toContain("Tool call refused");
      const refused = await awaitEvent(
        llm,
        where.router,
        (e) => e["method"] === "tools/call" && e["decision"] === "denied" && JSON.stringify(e).includes("add_note"),
      );
      expect(refused).toMatchObject({ consumer: "alice" });
    });

    it("audits one event per LLM request (broker) and each tool call (router), with Envoy's client address", async () => {
      // The client's own claims to an address and an identity count for nothing.
      const forging = llm.client(KEYS.alice, {
        "x-mcp-client-address": "203.0.113.9",
        "x-mcp-identity": JSON.stringify({ consumer: "mallory", policy: "weather-llm" }),
        "user-agent": "llm-envoy-audit-probe",
      });
      await forging.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: WEATHER }] });
      const event = await awaitEvent(
        llm,
        where.broker,
        (e) => e["method"] === "llm/chat.completions" && e["userAgent"] === "llm-envoy-audit-probe",
      );
      expect(event).toMatchObject({
        consumer: "alice",
        decision: "allowed",
        server: "fake",
        target: "gpt-4o",
        clientAddress: "127.0.0.1",
        endpoint: "/v1/chat/completions",
        llm: {
          provider: "fake",
          model: "gpt-4o",
          inputTokens: 20,
          outputTokens: 10,
          totalTokens: 30,
          toolCalls: [{ name: "weather_get_forecast", outcome: "ok" }],
        },
      });
      const llmEvents = llm.auditEvents()[where.broker]!.filter((e) => e["userAgent"] === "llm-envoy-audit-probe");
      expect(llmEvents).toHaveLength(1);
      if (where.router !== where.broker) {
        // Split: the broker wrote it with its own audit sink; the router never saw the LLM request.
        expect(llm.auditEvents()[where.router]!.some((e) => String(e["method"]).startsWith("llm/"))).toBe(false);
      }
      const call = await awaitEvent(
        llm,
        where.router,
        (e) => e["method"] === "tools/call" && e["consumer"] === "alice" && e["decision"] === "allowed",
      );
      expect(call).toMatchObject({ server: "weather", outcome: "ok" });
      expect(JSON.stringify(call)).toContain("get_forecast");
    });

    it("a forged x-mcp-identity gives no consumer: no key is 401, bob's key stays bob's (403)", async () => {
      const forged = { "x-mcp-identity": JSON.stringify({ consumer: "alice", policy: "weather-llm" }) };
      const anonymous = await fetch(`${llm.publicBase}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", ...forged },
        body: JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] }),
      });
      expect(anonymous.status).toBe(401);
      const bob = llm.client(KEYS.bob, forged);
      const refused = bob.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] });
      await expect(refused).rejects.toMatchObject({ status: 403, type: "permission_error" });
      expect(llm.provider.requests).toHaveLength(0);
    });

    it.each([
      ["no credentials", undefined],
      ["an unknown key", "mcpgw_not_a_consumer"],
    ])("%s: 401 in OpenAI's error shape, from the broker", async (_what, key) => {
      const since = Date.now();
      const reply = await fetch(`${llm.publicBase}/v1/responses`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
        body: JSON.stringify({ model: "gpt-4o", input: "hi" }),
      });
      expect(reply.status).toBe(401);
      const body = (await reply.json()) as { error: Json };
      expect(Object.keys(body)).toEqual(["error"]);
      expect(Object.keys(body.error).sort()).toEqual(["code", "message", "param", "type"]);
      expect(body.error).toMatchObject({ type: "authentication_error", message: expect.any(String) as string });
      // The broker answered (Envoy's route to it, no ext_proc, no router), not Envoy itself.
      expect(await llm.stack.envoy!.routeSince(since, (r) => r.path === "/v1/responses")).toMatchObject({
        cluster: "mcp_broker",
        status: 401,
        details: "via_upstream",
      });
      expect(llm.provider.requests).toHaveLength(0);
    });

    it("a provider 5xx is the client's 502; the provider key is in no answer, log line or audit event", async () => {
      const since = Date.now();
      const failed = await alice.chat.completions
        .create({ model: "gpt-4o", messages: [{ role: "user", content: "fail-500" }] })
        .catch((error: unknown) => error);
      expect(failed).toMatchObject({ status: 502, type: "upstream_error" });
      expect((failed as Error).message).toMatch(/provider fake failed \(HTTP 500\): overloaded/);
      expect(JSON.stringify(failed)).not.toContain(PROVIDER_KEY);
      const raw = await fetch(`${llm.publicBase}/v1/responses`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${KEYS.alice}` },
        body: JSON.stringify({ model: "gpt-4o", input: "fail-500", stream: true }),
      });
      expect(raw.status).toBe(502);
      const rawText = await raw.text();
      expect(rawText).toContain("[REDACTED]");
      expect(rawText + JSON.stringify([...raw.headers])).not.toContain(PROVIDER_KEY);
      const route = await llm.stack.envoy!.routeSince(since, (r) => r.path === "/v1/chat/completions");
      expect(route).toMatchObject({ cluster: "mcp_broker", status: 502, details: "via_upstream" });
      await awaitEvent(llm, where.broker, (e) => e["upstreamStatus"] === 502 && e["method"] === "llm/responses");
      expect(llm.stack.gatewayOutput()).not.toContain(PROVIDER_KEY);
      expect(llm.stack.envoy!.output()).not.toContain(PROVIDER_KEY);
      expect(JSON.stringify(llm.stack.envoy!.routes)).not.toContain(PROVIDER_KEY);
    });

    it("a spent token budget: the next request gets 429 with Retry-After, before the provider sees it", async () => {
      const carol = llm.client(KEYS.carol);
      // One request (10 + 5 tokens reported) spends the 10-token cap.
      await carol.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "just talk" }] });
      const seen = llm.provider.requests.length;
      const refused = await carol.chat.completions
        .create({ model: "gpt-4o", messages: [{ role: "user", content: "just talk" }] })
        .catch((error: unknown) => error);
      expect(refused).toMatchObject({ status: 429, type: "tokens", code: "rate_limit_exceeded" });
      expect((refused as Error).message).toContain("perMinute.total");
      expect(Number((refused as { headers: Headers }).headers.get("retry-after"))).toBeGreaterThan(0);
      expect(llm.provider.requests).toHaveLength(seen);
      const mode = llm.stack.mode;
      if (mode.kind === "envoy" && mode.store === "redis") {
        // The budget lives in Redis: a client of its own sees carol's cap spent.
        const budgets = await openTokenBudgets(mode.redisUrl);
        try {
          const limits = { perMinute: { total: CAROL_TOTAL_PER_MINUTE } };
          expect(await budgets.check(tokenBudgetKey("carol"), limits)).toMatchObject({
            allowed: false,
            limit: "perMinute.total",
          });
        } finally {
          await budgets.close();
        }
      }
    });

    it("without llm.mcpUrl (reloaded away) the LLM endpoints answer 503 naming the setting", async () => {
      await llm.dropMcpUrl();
      let last: unknown;
      const answered503 = await pollUntil(async () => {
        last = await alice.chat.completions
          .create({ model: "gpt-4o", messages: [{ role: "user", content: WEATHER }] })
          .catch((error: unknown) => error);
        return (last as { status?: number }).status === 503;
      }, 15_000);
      expect(answered503).toBe(true);
      expect((last as Error).message).toMatch(/llm\.mcpUrl is not set/);
    });
  });
}
