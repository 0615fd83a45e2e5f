import { McpError } from "@modelcontextprotocol/sdk/types.js";
import { REPLY_BYPASSES, SECRET } from "../fuzz/properties/reply-redaction";
import { connectClient, type ConnectedClient } from "./mcp-client";
import { startMaliciousUpstream, type CraftedReply, type MaliciousUpstream } from "./malicious-upstream";
import { startGatewayStack, type GatewayStack } from "./gateway-stack";
import { deployments } from "./stack-modes";

jest.setTimeout(60_000);

// Issue 9 hole 3: an upstream that crafts its reply (media type spelling, BOM, SSE line ends) so that the gateway and
// the client read it differently. With a redaction rule in force, no such reply may bring the secret to a real MCP
// SDK client: it arrives redacted, or is refused with -32603.
const SECRET_REPLY = `{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"key ${SECRET}"}]}}`;
const BYPASSES: (CraftedReply & { name: string })[] = REPLY_BYPASSES.map((bypass, i) => ({
  ...bypass,
  tool: `bypass_${"abcde"[i]}`,
}));
const REFUSED: CraftedReply[] = [
  { tool: "plain_text", contentType: "text/plain", body: SECRET_REPLY },
  { tool: "gzipped", contentType: "application/json", body: SECRET_REPLY, gzip: true },
  { tool: "malformed_type", contentType: "application/json; charset=", body: SECRET_REPLY },
];
const ACCESS = `auth: none
sanitize: { rules: [ { patterns: ["AKIA[0-9A-Z]{16}"] } ] }`;

const modes = deployments();
afterAll(() => modes.stop());

describe.each(modes.all)("redaction against a malicious upstream (%s)", (_label, mode) => {
  let evil: MaliciousUpstream;
  let stack: GatewayStack;
  let connected: ConnectedClient;

  beforeAll(async () => {
    evil = await startMaliciousUpstream([...BYPASSES, ...REFUSED]);
    stack = await startGatewayStack(await mode(), {
      extraServers: [`name: evil, url: "${evil.url}"`],
      access: ACCESS,
    });
    connected = await connectClient(stack.url);
  });
  afterAll(async () => {
    await connected?.close();
    await stack?.stop();
    await evil?.stop();
  });

  const call = (tool: string) => connected.client.callTool({ name: `evil_${tool}`, arguments: {} });

  it.each(BYPASSES.slice(0, 3).map((reply) => [reply.name, reply.tool] as const))(
    "%s: the result arrives redacted",
    async (_name, tool) => {
      const result = JSON.stringify(await call(tool));
      expect(result).not.toContain(SECRET);
      expect(result).toContain("key [REDACTED]");
    },
  );

  it.each([...BYPASSES.slice(3), ...REFUSED].map((reply) => [reply.tool, reply.tool] as const))(
    "%s: the reply is refused with -32603 and nothing of it passes",
    async (_name, tool) => {
      const error = await call(tool).then(
        (result) => new Error(`expected a refusal, got ${JSON.stringify(result)}`),
        (error: unknown) => error,
      );
      expect(error).toBeInstanceOf(McpError);
      expect((error as McpError).code).toBe(-32603);
      expect(String(error)).not.toContain(SECRET);
    },
  );
});
