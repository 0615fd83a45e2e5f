import { writeFile, readFile } from "node:fs/promises";
import OpenAI from "openai";
import { hashApiKey } from "@mcp-gateway/core";
import {
  httpError,
  startScriptedProvider,
  text,
  toolCalls,
  type RecordedRequest,
  type ScriptedProvider,
  type ScriptedTurn,
} from "../support/openai-provider";
import { PUBLIC_URL, startGatewayStack, type GatewayStack, type StackMode } from "./gateway-stack";

/** API keys of the consumers: alice may use the LLM, carol too on a small token budget, bob may not. */
export const KEYS = { alice: "mcpgw_llm_envoy_alice", carol: "mcpgw_llm_envoy_carol", bob: "mcpgw_llm_envoy_bob" };
/** The provider's key: the gateway reads it from this environment variable (`${env:…}`), inherited by its processes. */
export const PROVIDER_KEY = "sk-envoy-e2e-provider-0123456789abcdef";
const PROVIDER_KEY_ENV = "MCP_E2E_LLM_ENVOY_PROVIDER_KEY";
/** carol's cap: `perMinute.total`, spent by one request (every scripted turn reports 10 + 5 tokens). */
export const CAROL_TOTAL_PER_MINUTE = 10;
const USAGE = { input: 10, output: 5 };

/** The conversation's tool results so far (Chat `role: tool` messages, Responses `function_call_output` items). */
export function toolResults(request: RecordedRequest | undefined): string[] {
  const items = (request?.body?.["messages"] ?? request?.body?.["input"]) as Record<string, unknown>[] | string;
  if (!Array.isArray(items)) return [];
  return items
    .filter((item) => item["role"] === "tool" || item["type"] === "function_call_output")
    .map((item) => String(item["content"] ?? item["output"]));
}

/**
 * The model: with tool results it answers with them (the word `slowly` stalls that answer midway, so a test can see
 * the events before it arrive first); otherwise the user's words pick the tool it calls or the failure it has.
 */
function model(request: RecordedRequest): ScriptedTurn {
  const asked = JSON.stringify(request.body?.["messages"] ?? request.body?.["input"]);
  const results = toolResults(request);
  if (results.length > 0) {
    const stalling = asked.includes("slowly") ? { stallAfterEvents: 4, stallMs: 1500 } : {};
    return text(`Here is what the tools said: ${results.join(" | ")}`, { usage: USAGE, ...stalling });
  }
  if (asked.includes("fail-500"))
    return httpError(500, { message: `overloaded while serving key ${PROVIDER_KEY}`, type: "server_error" });
  if (asked.includes("just talk")) return text("Hello there.", { usage: USAGE });
  if (asked.includes("note"))
    return toolCalls({ name: "notes_add_note", arguments: { title: "t", text: "x" } }, { usage: USAGE });
  return toolCalls({ name: "weather_get_forecast", arguments: { city: "Paris", days: 1 } }, { usage: USAGE });
}

/** One LLM deployment under test: the stack behind Envoy, the scripted provider, OpenAI clients on Envoy's /v1. */
export interface LlmEnvoyStack {
  stack: GatewayStack;
  provider: ScriptedProvider;
  /** An OpenAI SDK client of `consumer` on Envoy's `/v1` (no retries). */
  client(key: string, headers?: Record<string, string>): OpenAI;
  /** Envoy's public base, `http://127.0.0.1:<port>`. */
  publicBase: string;
  /** The audit events (JSON lines with a `decision`) printed by each gateway process: [one] or [router, broker]. */
  auditEvents(): Record<string, unknown>[][];
  /** Rewrites the config without `llm.mcpUrl` (the processes reload it). */
  dropMcpUrl(): Promise<void>;
  stop(): Promise<void>;
}

function access(providerUrl: string): string {
  return `consumers:
  - { name: alice, keyHash: "${hashApiKey(KEYS.alice)}", policy: weather-llm }
  - { name: carol, keyHash: "${hashApiKey(KEYS.carol)}", policy: budgeted }
  - { name: bob, keyHash: "${hashApiKey(KEYS.bob)}", policy: weather }
audit: { stdout: true }
policies:
  weather-llm: { tools: ["weather_*"], llm: { providers: [fake] } }
  budgeted: { tools: ["weather_*"], llm: { providers: [fake], tokens: { perMinute: { total: ${CAROL_TOTAL_PER_MINUTE} } } } }
  weather: { tools: ["weather_*"] }
llm:
  mcpUrl: "${PUBLIC_URL}/mcp"
  providers:
    - { name: fake, baseUrl: "${providerUrl}", apiKey: "\${env:${PROVIDER_KEY_ENV}}", defaultModel: gpt-4o, timeout: 10s, maxToolRounds: 2 }`;
}

function auditLines(output: string): Record<string, unknown>[] {
  const events: Record<string, unknown>[] = [];
  for (const line of output.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      const event = JSON.parse(line) as Record<string, unknown>;
      if ("decision" in event && "method" in event) events.push(event);
    } catch {
      // a log line cut by the read so far
    }
  }
  return events;
}

/** Starts the scripted provider and a gateway stack in `mode` whose LLM tool calls go back through Envoy. */
export async function startLlmEnvoyStack(mode: StackMode): Promise<LlmEnvoyStack> {
  process.env[PROVIDER_KEY_ENV] = PROVIDER_KEY;
  const provider = await startScriptedProvider({ apiKey: PROVIDER_KEY, respond: model });
  let stack: GatewayStack;
  try {
    stack = await startGatewayStack(mode, { access: access(provider.url) });
  } catch (error: unknown) {
    await provider.close();
    throw error;
  }
  const publicBase = new URL(stack.url).origin;
  return {
    stack,
    provider,
    publicBase,
    client: (key, headers = {}) =>
      new OpenAI({ apiKey: key, baseURL: `${publicBase}/v1`, maxRetries: 0, defaultHeaders: headers }),
    auditEvents: () => stack.gatewayOutputs().map(auditLines),
    async dropMcpUrl() {
      const yaml = await readFile(stack.configPath, "utf8");
      const without = yaml.replace(/^ {2}mcpUrl: .*\n/m, "");
      if (without === yaml) throw new Error("the stack's config has no llm.mcpUrl line");
      await writeFile(stack.configPath, without);
    },
    async stop() {
      await stack.stop();
      await provider.close();
    },
  };
}
