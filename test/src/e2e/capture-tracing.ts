import { startJaeger, tagOf, type JaegerServer, type JaegerSpan, type JaegerTrace } from "../support/jaeger";
import { startGatewayStack, type GatewayStack, type StackMode } from "./gateway-stack";

/** An access key the `sanitize` pattern rule redacts, sent by clients and returned by upstreams in capture tests. */
export const SECRET = "AKIAABCDEFGHIJKLMNOP";
/** An `api_key` member's value, which a `sanitize` key rule redacts. */
export const API_KEY = "hunter2-api-key-value";

/** The two deployments content capture is tested in. */
export const CAPTURE_MODES: [string, StackMode][] = [
  ["standalone", { kind: "standalone" }],
  ["Envoy mode", { kind: "envoy", store: "memory" }],
];

/** The `result` of the response in a raw reply body (JSON, or the SSE event that carries it). */
export function resultOf(text: string): Record<string, unknown> {
  const json = text.trimStart().startsWith("{")
    ? text
    : (text
        .split("\n")
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(5).trim())
        .find((data) => data.includes('"result"')) ?? "{}");
  return (JSON.parse(json) as { result?: Record<string, unknown> }).result ?? {};
}

/** A real Jaeger and a gateway stack exporting to it with content capture on, as one service. */
export interface CaptureStack {
  jaeger: JaegerServer;
  stack: GatewayStack;
  service: string;
  stop(): Promise<void>;
}

/**
 * Starts Jaeger, then a gateway stack in `mode` with `extraServers` and `access`, tracing to it as
 * `mcp-gateway-capture-<name>-<standalone|envoy>` with `captureContent: true`.
 */
export async function startCaptureStack(
  name: string,
  mode: StackMode,
  options: { extraServers: string[]; access: string },
): Promise<CaptureStack> {
  const service = `mcp-gateway-capture-${name}-${mode.kind === "standalone" ? "standalone" : "envoy"}`;
  const jaeger = await startJaeger();
  try {
    const stack = await startGatewayStack(mode, {
      ...options,
      tracing: `{ enabled: true, endpoint: "${jaeger.otlpHttpUrl}", serviceName: ${service}, captureContent: true }`,
    });
    return { jaeger, stack, service, stop: () => stack.stop().finally(() => jaeger.stop()) };
  } catch (error: unknown) {
    await jaeger.stop();
    throw error;
  }
}

/** What Jaeger recorded of one `tools/call <tool>`: its SERVER span's captured result and arguments, parsed. */
export interface CapturedCall {
  trace: JaegerTrace;
  span: JaegerSpan;
  result: unknown;
  args: unknown;
}

/**
 * Waits for trace `traceId` to hold the `tools/call <tool>` span with a captured result, and checks that no span
 * of the trace carries {@link SECRET} or {@link API_KEY} in any tag.
 */
export async function capturedCall(capture: CaptureStack, traceId: string, tool: string): Promise<CapturedCall> {
  const operation = `tools/call ${tool}`;
  const recorded = (s: JaegerSpan) => s.operationName === operation && tagOf(s, "gen_ai.tool.call.result");
  const trace = await capture.jaeger.waitForTrace(
    capture.service,
    (t) => t.traceID === traceId && t.spans.some(recorded),
  );
  const span = trace.spans.find(recorded) as JaegerSpan;
  for (const s of trace.spans) {
    const tags = JSON.stringify(s.tags);
    expect(tags).not.toContain(SECRET);
    expect(tags).not.toContain(API_KEY);
  }
  return {
    trace,
    span,
    result: JSON.parse(String(tagOf(span, "gen_ai.tool.call.result"))) as unknown,
    args: JSON.parse(String(tagOf(span, "gen_ai.tool.call.arguments"))) as unknown,
  };
}
