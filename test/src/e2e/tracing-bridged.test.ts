import { startModernUpstream, type ModernUpstream } from "../support/modern-upstream";
import {
  API_KEY,
  CAPTURE_MODES,
  SECRET,
  capturedCall,
  resultOf,
  startCaptureStack,
  type CaptureStack,
} from "./capture-tracing";
import { startMaliciousUpstream, type MaliciousUpstream } from "./malicious-upstream";
import { newTraceparent, RawMcpClient } from "./tracing-client";

jest.setTimeout(120_000);

// Content capture of calls bridged between protocol generations must record what the client received, after
// `sanitize`: a 2025 client's call to a 2026 upstream (the broker's legacy bridge) and a 2026-07-28 client's call to
// a 2025 upstream (the modern front end's call bridge). Both upstreams answer with an access key (a pattern rule);
// the client sends it, and an api_key member (a key rule), in its arguments too.
const REVISION = "2026-07-28";
const LEGACY_RESULT = JSON.stringify({ content: [{ type: "text", text: `key ${SECRET}` }] });
const ACCESS = `auth: none
sanitize:
  rules:
    - { patterns: ["AKIA[0-9A-Z]{16}"] }
    - { targets: ["fresh_*", "old_*"], keys: [api_key] }`;
const ARGS = { text: `key ${SECRET}`, api_key: API_KEY };

/** A stateless 2026-07-28 tools/call (no session), with the given traceparent. */
async function modernCall(url: string, name: string, traceparent: string): Promise<{ status: number; text: string }> {
  const meta = {
    "io.modelcontextprotocol/protocolVersion": REVISION,
    "io.modelcontextprotocol/clientCapabilities": {},
    "io.modelcontextprotocol/clientInfo": { name: "modern-trace-test", version: "1.0.0" },
  };
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": REVISION,
      "mcp-method": "tools/call",
      "mcp-name": name,
      traceparent,
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: { name, arguments: ARGS, _meta: meta },
    }),
  });
  return { status: response.status, text: await response.text() };
}

describe.each(CAPTURE_MODES)("content capture of bridged calls (%s), read back from a real Jaeger", (_label, mode) => {
  let capture: CaptureStack;
  let modern: ModernUpstream;
  let legacy: MaliciousUpstream;

  beforeAll(async () => {
    modern = await startModernUpstream();
    legacy = await startMaliciousUpstream([
      { tool: "leak", contentType: "application/json", body: `{"jsonrpc":"2.0","id":7,"result":${LEGACY_RESULT}}` },
    ]);
    capture = await startCaptureStack("bridged", mode, {
      extraServers: [`name: fresh, url: "${modern.url}"`, `name: old, url: "${legacy.url}"`],
      access: ACCESS,
    });
  }, 120_000);

  afterAll(async () => {
    await capture?.stop();
    await modern?.close();
    await legacy?.stop();
  });

  /** Checks the trace's SERVER span of `tools/call <tool>` records `received` and no span tag holds a secret. */
  async function expectRecorded(traceId: string, tool: string, received: Record<string, unknown>): Promise<void> {
    const recorded = await capturedCall(capture, traceId, tool);
    expect(recorded.result).toEqual(received);
    expect(recorded.args).toEqual({ text: "key [REDACTED]", api_key: "[REDACTED]" });
  }

  it("records a 2025 client's call to a 2026 upstream as the client received it, redacted", async () => {
    const client = new RawMcpClient(capture.stack.url);
    await client.initialize();
    const parent = newTraceparent();
    const call = await client.request(
      "tools/call",
      { name: "fresh_echo", arguments: ARGS },
      { traceparent: parent.traceparent },
    );
    expect(call.status).toBe(200);
    expect(call.text).not.toContain(SECRET);
    const received = resultOf(call.text);
    expect(received["content"]).toEqual([{ type: "text", text: "echo: key [REDACTED]" }]);
    await expectRecorded(parent.traceId, "fresh_echo", received);
  });

  it("records a 2026 client's call to a 2025 upstream as the client received it, redacted", async () => {
    const parent = newTraceparent();
    const call = await modernCall(capture.stack.url, "old_leak", parent.traceparent);
    expect(call.status).toBe(200);
    expect(call.text).not.toContain(SECRET);
    const received = resultOf(call.text);
    expect(received["content"]).toEqual([{ type: "text", text: "key [REDACTED]" }]);
    // What the front end adds after the bridge returns (`resultType`, serverInfo) is part of what is recorded.
    expect(received).toMatchObject({ resultType: "complete", _meta: expect.anything() as unknown });
    await expectRecorded(parent.traceId, "old_leak", received);
  });

  it("records a 2026 client's call to a 2026 upstream (not bridged) as the client received it, redacted", async () => {
    const parent = newTraceparent();
    const call = await modernCall(capture.stack.url, "fresh_echo", parent.traceparent);
    expect(call.status).toBe(200);
    expect(call.text).not.toContain(SECRET);
    const received = resultOf(call.text);
    expect(received["content"]).toEqual([{ type: "text", text: "echo: key [REDACTED]" }]);
    await expectRecorded(parent.traceId, "fresh_echo", received);
  });
});
