import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import type { UpstreamAuth } from "../config/upstream-auth-schema";
import { UpstreamHttp } from "../upstream/upstream-http";
import { authedFetch } from "./authed-fetch";
import { consumerAuth, consumerTargets } from "./call-auth";
import { UpstreamCredentials, withConsumerAuth } from "./upstream-credentials";

const b64 = (value: object): string => Buffer.from(JSON.stringify(value)).toString("base64url");
const aliceToken = `${b64({ alg: "RS256" })}.${b64({ sub: "alice", aud: "https://up" })}.sig`;
// A discovery client whose token endpoint is never reached: a consumer path that asked for it would fail loudly.
const discovery = {
  tokenUrl: "http://127.0.0.1:1/token",
  clientId: "gw",
  clientSecret: "s",
  scopes: [],
  refreshSkew: 30_000,
};
const passthrough: UpstreamAuth = { type: "passthrough", audience: "https://up", discovery };
const server = (url: string) => ({ name: "up", url, headers: {}, auth: passthrough });
const REFUSED =
  /upstream "up" takes only the caller's own credentials \(passthrough\).*discovery credential never serves/;

describe("per-consumer credentials on consumer paths (fail closed, never the discovery token)", () => {
  let seen: IncomingHttpHeaders[];
  let url: string;
  let close: () => Promise<void>;
  beforeAll(async () => {
    seen = [];
    const http = createServer((req, res) => {
      seen.push(req.headers);
      req.resume();
      res.writeHead(200, { "content-type": "application/json" }).end('{"jsonrpc":"2.0","id":1,"result":{}}');
    });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
    close = () => new Promise((resolve) => http.close(() => resolve()));
  });
  afterAll(() => close());

  it("refuses an UpstreamHttp request to a per-consumer server that carries no consumer credential, sending nothing", async () => {
    const http = new UpstreamHttp({ credentials: new UpstreamCredentials() });
    const target = server(url);
    await expect(http.post(target, { jsonrpc: "2.0", id: 1, method: "ping" }, { timeoutMs: 2000 })).rejects.toThrow(
      REFUSED,
    );
    const stream = http.openNotifications(
      target,
      { sessionId: "s", protocolVersion: "2025-06-18" },
      AbortSignal.timeout(2000),
    );
    await expect(stream).rejects.toThrow(REFUSED);
    expect(seen).toEqual([]);
    await http.close();
  });

  it("sends the consumer's own token when the target carries it", async () => {
    const credentials = new UpstreamCredentials();
    const http = new UpstreamHttp({ credentials });
    const target = withConsumerAuth(server(url), await consumerAuth(credentials, server(url), aliceToken));
    await http.post(target, { jsonrpc: "2.0", id: 1, method: "ping" }, { timeoutMs: 2000 });
    expect(seen.at(-1)?.authorization).toBe(`Bearer ${aliceToken}`);
    await http.close();
  });

  it("refuses an SDK transport for a consumer's request without its credential; discovery may use its own", () => {
    const credentials = new UpstreamCredentials();
    expect(() => authedFetch(credentials, server(url))).toThrow(REFUSED);
    expect(authedFetch(credentials, server(url), "discovery")).toEqual(expect.any(Function));
  });

  it("leaves a fan-out target without credentials when the caller has none (an API key): sending to it is refused", async () => {
    const credentials = new UpstreamCredentials();
    const [target] = await consumerTargets(credentials, [server(url)], undefined);
    expect(target?.headers).toEqual({});
    expect(() => authedFetch(credentials, target ?? server(url))).toThrow(REFUSED);
  });

  it("gives a gateway-credential server nothing extra on a consumer's behalf (its transport adds the gateway token)", async () => {
    const cc: UpstreamAuth = { type: "oauth2ClientCredentials", ...discovery };
    expect(await consumerAuth(new UpstreamCredentials(), { name: "cc", auth: cc }, aliceToken)).toEqual({});
  });
});
