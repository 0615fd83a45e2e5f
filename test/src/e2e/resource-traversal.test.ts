import { hashApiKey } from "@mcp-gateway/core";
import { startGatewayStack, type GatewayStack } from "./gateway-stack";
import { connectClient, rawPost, untilRouted, type ConnectedClient } from "./mcp-client";
import { PRIVATE_KEY_TEXT, startResourceUpstream, type ResourceUpstream } from "./resource-upstream";
import { deployments } from "./stack-modes";

jest.setTimeout(90_000);

const KEY = "reader-key-0123456789abcdef0123456789";
const ACCESS = `auth: { apiKeys: { header: authorization } }
consumers:
  - { name: reader, keyHash: "${hashApiKey(KEY)}", policy: public-files }
policies:
  public-files: { servers: [files], resources: ["files+fs://host/public/*"] }
`;

const modes = deployments();
afterAll(async () => {
  await modes.stop();
});

// Issue 9, hole 2: a consumer allowed files+fs://host/public/* must not read fs://host/private/key through a URI the
// policy saw as public but the upstream's URL parser resolves into private/ (tabs, CR/LF, encoded dots, backslashes).
describe.each(modes.all)("resource path traversal (%s)", (_label, mode) => {
  let upstream: ResourceUpstream;
  let stack: GatewayStack;
  let reader: ConnectedClient;
  const headers = { authorization: `Bearer ${KEY}` };
  const read = async (uri: string): Promise<Awaited<ReturnType<typeof rawPost>>> => {
    const body = JSON.stringify({ jsonrpc: "2.0", id: 5, method: "resources/read", params: { uri } });
    return rawPost(stack.url, body, { ...headers, "mcp-session-id": reader.transport.sessionId ?? "" });
  };

  beforeAll(async () => {
    upstream = await startResourceUpstream();
    stack = await startGatewayStack(await mode(), {
      extraServers: [`name: files, url: "${upstream.url}", prefix: "files_"`],
      access: ACCESS,
    });
    reader = await connectClient(stack.url, "reader", headers);
  });
  afterAll(async () => {
    await reader.close();
    await stack.stop();
    await upstream.close();
  });

  it("serves a public resource (the upstream is reachable and records reads)", async () => {
    const reply = await untilRouted(
      () => read("files+fs://host/public/readme"),
      (r) => r.json["result"] !== undefined,
    );
    expect(reply.json["result"]).toMatchObject({ contents: [{ text: "public readme" }] });
    expect(upstream.reads).toContain("fs://host/public/readme");
  });

  it.each([
    ["a tab inside the dot segment", "files+fs://host/public/.\t./private/key"],
    ["a tab before the dot segment", "files+fs://host/public/\t../private/key"],
    ["a tab after the dot segment", "files+fs://host/public/..\t/private/key"],
    ["a CR and an LF", "files+fs://host/public/.\r\n./private/key"],
    ["encoded dots", "files+fs://host/public/%2e%2e/private/key"],
    ["a backslash", "files+fs://host/public/..\\private/key"],
    ["a plain dot segment", "files+fs://host/public/../private/key"],
  ])("refuses a traversal with %s with -32602; the upstream never sees it", async (_what, uri) => {
    const before = upstream.reads.length;
    const reply = await read(uri);
    expect(JSON.stringify(reply.json)).not.toContain(PRIVATE_KEY_TEXT);
    expect(reply.json["error"]).toMatchObject({ code: -32602, message: expect.stringContaining("resource URI") });
    expect(upstream.reads.slice(before)).toEqual([]);
  });
});
