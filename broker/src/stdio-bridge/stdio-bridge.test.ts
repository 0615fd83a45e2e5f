import { createLogger, STDIO_BRIDGE_TOKEN_HEADER } from "@mcp-gateway/core";
import { rawRequest, type RawAnswer } from "../testing/raw-request";
import { StdioBridge } from "./stdio-bridge";

const TOKEN = "bridge-token-0123456789abcdef";
const HOST = "bridge.test:7000";

describe("the stdio bridge's credential", () => {
  const logged: string[] = [];
  const bridge = new StdioBridge({
    logger: createLogger({ level: "debug", sink: { write: (line: string) => void logged.push(line) } }),
    initTimeoutMs: 1000,
    idleTimeoutMs: 60_000,
    maxBodyBytes: 1024,
    requestTimeoutMs: 1000,
    allowedHost: HOST,
    token: TOKEN,
  });
  let base = "";
  beforeAll(async () => {
    base = `http://127.0.0.1:${String(await bridge.listen("127.0.0.1", 0))}`;
  });
  afterAll(() => bridge.close());

  const post = (headers: Record<string, string>): Promise<RawAnswer> =>
    rawRequest(base, {
      method: "POST",
      path: "/stdio/none/mcp",
      headers: { host: HOST, "content-type": "application/json", ...headers },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: {} }),
    });

  it("refuses a request without the token (401), naming the header", async () => {
    const answer = await post({});
    expect(answer.status).toBe(401);
    expect(answer.text).toContain(`no ${STDIO_BRIDGE_TOKEN_HEADER} header`);
  });

  it("refuses a wrong token (403) without echoing it", async () => {
    const answer = await post({ [STDIO_BRIDGE_TOKEN_HEADER]: "guessed-token-value" });
    expect(answer.status).toBe(403);
    expect(answer.text).toContain("is not the gateway's");
    expect(answer.text).not.toContain("guessed-token-value");
  });

  it("passes the gateway's token on (this server does not exist: 404), and never logs or returns it", async () => {
    const answer = await post({ [STDIO_BRIDGE_TOKEN_HEADER]: TOKEN });
    expect(answer.status).toBe(404);
    expect(answer.text).not.toContain(TOKEN);
    expect(logged.join("\n")).not.toContain(TOKEN);
  });

  it("still refuses another Host even with the token", async () => {
    expect((await post({ host: "rebound.example:7000", [STDIO_BRIDGE_TOKEN_HEADER]: TOKEN })).status).toBe(403);
  });
});
