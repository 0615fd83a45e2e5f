import {
  API_KEY,
  CAPTURE_MODES,
  SECRET,
  capturedCall,
  resultOf,
  startCaptureStack,
  type CaptureStack,
} from "./capture-tracing";
import { startMaliciousUpstream, type CraftedReply, type MaliciousUpstream } from "./malicious-upstream";
import { newTraceparent, RawMcpClient } from "./tracing-client";

jest.setTimeout(120_000);

// Content capture must record what the client received, after `sanitize`: never a secret the gateway redacts. The
// upstream answers with an access key (a pattern rule for every call) and an api_key member (a key rule scoped to
// this server's tools); the client sends both in its arguments too.
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

describe.each(CAPTURE_MODES)("content capture after sanitize (%s), read back from a real Jaeger", (_label, mode) => {
  let capture: CaptureStack;
  let evil: MaliciousUpstream;
  let client: RawMcpClient;

  beforeAll(async () => {
    evil = await startMaliciousUpstream(REPLIES);
    capture = await startCaptureStack("redact", mode, {
      extraServers: [`name: evil, url: "${evil.url}"`],
      access: ACCESS,
    });
    client = new RawMcpClient(capture.stack.url);
    await client.initialize();
  }, 120_000);

  afterAll(async () => {
    await capture?.stop();
    await evil?.stop();
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
    const recorded = await capturedCall(capture, parent.traceId, `evil_${tool}`);
    expect(recorded.result).toEqual(received);
    expect(recorded.args).toEqual({ note: "use [REDACTED]", api_key: "[REDACTED]" });
  });
});
