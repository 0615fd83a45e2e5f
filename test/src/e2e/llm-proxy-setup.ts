import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { hashApiKey } from "@mcp-gateway/core";
import { pollUntil } from "../support/bounded-wait";
import {
  httpError,
  startScriptedProvider,
  type RecordedRequest,
  type ScriptedProvider,
  type ScriptedTurn,
} from "../support/openai-provider";
import { startGatewayStack, type GatewayStack } from "./gateway-stack";

// Shared setup of the standalone LLM proxy e2e files (llm-proxy-*.test.ts): a real gateway stack (weather and notes
// upstreams) whose provider "fake" is the scripted OpenAI-compatible provider; each test scripts the model's turns.

/** The gateway's key for the provider: must never reach a client, a log line, an audit event or a metric. */
export const PROVIDER_KEY = "sk-provider-secret-0123456789";
export const ALICE_KEY = "mcpgw_llm_alice_key";
export const BOB_KEY = "mcpgw_llm_bob_key";
export const MODEL = "test-model";

/** Extra settings of {@link startLlmStack}. */
export interface LlmStackOptions {
  /** Extra consumers as `{ name, key, policy }`. */
  consumers?: { name: string; key: string; policy: string }[];
  /** Extra `policies` entries, e.g. `capped: { tools: ["weather_*"], llm: { providers: [fake] } }`. */
  policies?: string[];
  /** Provider fields after name/baseUrl/apiKey/defaultModel; default `timeout: 2s, maxToolRounds: 2`. */
  provider?: string;
  /** More `llm.providers` entries (flow mappings), after "fake". */
  extraProviders?: string[];
  /** Extra `sanitize.rules` entries. */
  sanitizeRules?: string[];
  /** A `metrics` section (flow mapping), e.g. `{ consumerLabel: true }`. */
  metrics?: string;
}

/** A running stack, its scripted provider, and helpers for the test files. */
export interface LlmStack {
  stack: GatewayStack;
  provider: ScriptedProvider;
  auditPath: string;
  /** Replaces the model's script: one turn per provider request, in order (a 500 once they run out). */
  script(...turns: ScriptedTurn[]): void;
  /** An OpenAI SDK client of the gateway with `key` (no retries). */
  client(key: string): OpenAI;
  /** The audit events written so far, parsed. */
  auditEvents(): Promise<Record<string, unknown>[]>;
  /** Waits (bounded) for an audit event after the first `since` events that matches `match`, and returns it. */
  auditEvent(since: number, match: (event: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  /** The gateway's /metrics text. */
  metrics(): Promise<string>;
  stop(): Promise<void>;
}

/** The tool results of a provider request: Chat `role: tool` messages or Responses `function_call_output` items. */
export function toolResults(request: RecordedRequest | undefined): { id: string; text: string }[] {
  const items = (request?.body?.["messages"] ?? request?.body?.["input"] ?? []) as Record<string, unknown>[];
  return items
    .filter((item) => item["role"] === "tool" || item["type"] === "function_call_output")
    .map((item) => ({
      id: String(item["tool_call_id"] ?? item["call_id"]),
      text: String(item["content"] ?? item["output"]),
    }));
}

/** The function names a provider request offered the model (either wire format). */
export function offeredTools(request: RecordedRequest | undefined): string[] {
  const tools = (request?.body?.["tools"] ?? []) as { name?: string; function?: { name: string } }[];
  return tools.map((tool) => tool.function?.name ?? tool.name ?? "");
}

function accessYaml(options: LlmStackOptions, provider: ScriptedProvider, auditPath: string): string {
  const consumers = [
    { name: "alice", key: ALICE_KEY, policy: "weather-llm" },
    { name: "bob", key: BOB_KEY, policy: "weather" },
    ...(options.consumers ?? []),
  ];
  const rules = ['{ patterns: ["SECRET-[0-9]+"] }', ...(options.sanitizeRules ?? [])];
  return `consumers:
${consumers.map((c) => `  - { name: ${c.name}, keyHash: "${hashApiKey(c.key)}", policy: ${c.policy} }`).join("\n")}
audit: { file: { path: "${auditPath}" } }
${options.metrics === undefined ? "" : `metrics: ${options.metrics}`}
sanitize: { rules: [${rules.join(", ")}] }
policies:
  weather-llm: { tools: ["weather_*"], llm: { providers: [fake] } }
  weather: { tools: ["weather_*"] }
${(options.policies ?? []).map((p) => `  ${p}`).join("\n")}
llm:
  maxRequestBytes: 65536
  providers:
    - { name: fake, baseUrl: "${provider.url}", apiKey: "${PROVIDER_KEY}", defaultModel: ${MODEL}, ${options.provider ?? "timeout: 2s, maxToolRounds: 2"} }
${(options.extraProviders ?? []).map((p) => `    - ${p}`).join("\n")}`;
}

/** Starts the scripted provider and a standalone gateway stack using it. */
export async function startLlmStack(options: LlmStackOptions = {}): Promise<LlmStack> {
  let turns: ScriptedTurn[] = [];
  const provider = await startScriptedProvider({
    apiKey: PROVIDER_KEY,
    respond: () => turns.shift() ?? httpError(500, { message: "the test scripted no turn for this request" }),
  });
  const auditPath = join(await mkdtemp(join(tmpdir(), "llm-audit-")), "audit.log");
  let stack: GatewayStack;
  try {
    stack = await startGatewayStack(
      { kind: "standalone" },
      { security: '{ allowedOrigins: ["https://app.example.com"] }', access: accessYaml(options, provider, auditPath) },
    );
  } catch (error: unknown) {
    await provider.close();
    throw error;
  }
  const auditEvents = async (): Promise<Record<string, unknown>[]> =>
    (await readFile(auditPath, "utf8").catch(() => ""))
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return {
    stack,
    provider,
    auditPath,
    script: (...next) => {
      turns = [...next];
      provider.requests.splice(0);
    },
    client: (key) => new OpenAI({ apiKey: key, baseURL: `${stack.brokerBase}/v1`, maxRetries: 0 }),
    auditEvents,
    async auditEvent(since, match) {
      let found: Record<string, unknown> | undefined;
      await pollUntil(async () => (found = (await auditEvents()).slice(since).find(match)) !== undefined, 5000);
      if (!found) throw new Error(`no matching audit event in ${auditPath}`);
      return found;
    },
    metrics: async () => (await fetch(`${stack.brokerBase}/metrics`)).text(),
    stop: async () => {
      await stack.stop();
      await provider.close();
    },
  };
}
