import { deployments } from "./stack-modes";
import { connectClient, rawPost, type ConnectedClient } from "./mcp-client";
import { startGatewayStack, type GatewayStack } from "./gateway-stack";
import { startOddUpstream, type OddUpstream } from "./odd-upstream";

jest.setTimeout(60_000);

const modes = deployments();
afterAll(async () => {
  await modes.stop();
});

// Upstream tool names become the `x-mcp-tool` header of a call: every byte outside visible ASCII, and `%`, arrives
// percent-encoded (UTF-8), so no name can break, split or inject a header (docs/envoy-mode.md).
const TOOLS: [name: string, header: string][] = [
  ["plain_tool-1.x", "plain_tool-1.x"],
  ["jGS\u200B", "jGS%E2%80%8B"],
  ["crlf\r\nx-injected: yes", "crlf%0D%0Ax-injected:%20yes"],
  ["nul\u0000end", "nul%00end"],
  ["caf\u00e9", "caf%C3%A9"],
  ["100%", "100%25"],
  [" padded\t", "%20padded%09"],
];

// Session ids an upstream may not hand out (MCP: visible ASCII, 0x21-0x7E): the gateway refuses the upstream.
const BAD_SESSION_IDS: [label: string, id: string][] = [
  ["space", "bad id"],
  ["tab", "bad\tid"],
  ["latin1", "caf\u00e9"],
];

describe.each(modes.all)("header values derived from upstream data (%s)", (_label, mode) => {
  let odd: OddUpstream;
  let stack: GatewayStack;
  let connected: ConnectedClient;

  beforeAll(async () => {
    odd = await startOddUpstream(
      TOOLS.map(([name]) => name),
      Object.fromEntries(BAD_SESSION_IDS),
    );
    stack = await startGatewayStack(await mode(), {
      extraServers: [
        `name: odd, url: "${odd.url()}"`,
        ...BAD_SESSION_IDS.map(([label]) => `name: ${label}, url: "${odd.url(label)}"`),
      ],
    });
    connected = await connectClient(stack.url);
  });
  afterAll(async () => {
    await connected?.close();
    await stack?.stop();
    await odd?.stop();
  });

  it.each(TOOLS)("calls the tool %j and sends x-mcp-tool %j", async (name, header) => {
    const result = await connected.client.callTool({ name: `odd_${name}`, arguments: {} });
    expect(result).toEqual({ content: [{ type: "text", text: `called ${JSON.stringify(name)}` }] });
    expect(odd.toolHeaders.at(-1)).toBe(header);
  });

  it.each(BAD_SESSION_IDS)("refuses an upstream whose session id holds a %s (502 naming it)", async (label) => {
    const reply = await rawPost(
      stack.url,
      JSON.stringify({ jsonrpc: "2.0", id: 5, method: "tools/call", params: { name: `${label}_plain_tool-1.x` } }),
      { "mcp-session-id": connected.transport.sessionId ?? "" },
    );
    expect(reply.status).toBe(502);
    expect(reply.json).toMatchObject({
      id: 5,
      error: {
        code: -31001,
        message: `upstream "${label}" could not be initialized: its session id is not visible ASCII (0x21-0x7E)`,
      },
    });
  });
});
