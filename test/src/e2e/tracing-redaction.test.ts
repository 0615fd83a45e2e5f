import { startJaeger, tagOf, type JaegerServer, type JaegerSpan } from "../support/jaeger";
import { startGatewayStack, type GatewayStack, type StackMode } from "./gateway-stack";
import { startMaliciousUpstream, type CraftedReply, type MaliciousUpstream } from "./malicious-upstream";
import { newTraceparent, RawMcpClient } from "./tracing-client";

jest.setTimeout(120_000);

// Content capture must record what the client received, after `sanitize`: never a secret the gateway redacts. The
// upstream answers with an access key (a pattern rule for every call) and an api_key member (a key rule scoped to
// this server's tools); the client sends both in its arguments too.
const SECRET = "AKIAABCDEFGHIJKLMNOP";
const API_KEY = "hunter2-api-key-value";
const RESULT = JSON.stringify({
  content: [
    { type: "text", text: `key ${SECRET}` },
    { type: "text", text: JSON.stringify({ api_key: API_KEY, region: "eu" }) },
  ],
});
const REPLIES: CraftedReply[] = [
  { tool: "json", contentType: "application/json", body: `{"jsonrpc":"2.0","id":7,"result":${RESULT}}` },
  {
    tool: "sse",
    contentType: "text/event-stream",
    body: `event: message\ndata: {"jsonrpc":"2.0","id":7,"result":${RESULT}}\n\n`,
  },
];
const ACCESS = `auth: none
sanitize:
  rules:
    - { patterns: ["AKIA[0-9A-Z]{16}"] }
    - { targets: ["evil_*"], keys: [api_key] }`;

/** The `result` of the response in a raw reply body (JSON, or the SSE event that carries it). */
function resultOf(text: string): unknown {
  const json = text.trimStart().startsWith("{")
    ? text
    : (text
        .split("\n")
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(5).trim())
        .find((data) => data.includes('"result"')) ?? "{}");
  return (JSON.parse(json) as { result?: unknown }).result;
}

const MODES: [string, StackMode][] = [
  ["standalone", { kind: "standalone" }],
  ["Envoy mode", { kind: "envoy", store: "memory" }],
];

describe.each(MODES)("content capture after sanitize (%s), read back from a real Jaeger", (label, mode) => {
  const service = `mcp-gateway-capture-redact-${label === "standalone" ? "standalone" : "envoy"}`;
  let jaeger: JaegerServer;
  let evil: MaliciousUpstream;
  let stack: GatewayStack;
  let client: RawMcpClient;

  beforeAll(async () => {
    jaeger = await startJaeger();
    evil = await startMaliciousUpstream(REPLIES);
    stack = await startGatewayStack(mode, {
      extraServers: [`name: evil, url: "${evil.url}"`],
      access: ACCESS,
      tracing: `{ enabled: true, endpoint: "${jaeger.otlpHttpUrl}", serviceName: ${service}, captureContent: true }`,
    });
    client = new RawMcpClient(stack.url);
    await client.initialize();
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await evil?.stop();
    await jaeger?.stop();
  });

  it.each(["json", "sse"])("records the %s reply's result as the client received it, redacted", async (tool) => {
    const parent = newTraceparent();
    const call = await client.request(
      "tools/call",
      { name: `evil_${tool}`, arguments: { note: `use ${SECRET}`, api_key: API_KEY } },
      { traceparent: parent.traceparent },
    );
    expect(call.status).toBe(200);
    expect(call.text).not.toContain(SECRET);
    const received = resultOf(call.text);
    expect(JSON.stringify(received)).toContain("[REDACTED]");
    const trace = await jaeger.waitForTrace(
      service,
      (t) =>
        t.traceID === parent.traceId &&
        t.spans.some((s) => s.operationName === `tools/call evil_${tool}` && tagOf(s, "gen_ai.tool.call.result")),
    );
    const span = trace.spans.find((s) => s.operationName === `tools/call evil_${tool}`) as JaegerSpan;
    const result = String(tagOf(span, "gen_ai.tool.call.result"));
    expect(JSON.parse(result)).toEqual(received);
    const args = String(tagOf(span, "gen_ai.tool.call.arguments"));
    expect(JSON.parse(args)).toEqual({ note: "use [REDACTED]", api_key: "[REDACTED]" });
    for (const s of trace.spans) {
      const tags = JSON.stringify(s.tags);
      expect(tags).not.toContain(SECRET);
      expect(tags).not.toContain(API_KEY);
    }
  });
});
