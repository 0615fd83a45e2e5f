import { createHash } from "node:crypto";
import { IDENTITY_HEADER, IdentityCodec } from "@mcp-gateway/core";
import { connectClient, rawPost, type ConnectedClient } from "./mcp-client";
import { pollUntil } from "../support/bounded-wait";
import { E2E_SESSION_SECRET, startGatewayStack, type GatewayStack } from "./gateway-stack";
import { deployments } from "./stack-modes";
import { clientToken, startOAuthProvider, TOKEN_EXCHANGE_GRANT, type OAuthProvider } from "../support/oauth-provider";
import { startProtectedUpstream, type ProtectedUpstream, type SeenRequest } from "../support/protected-upstream";
import { startModernUpstream, type ModernUpstream } from "../support/modern-upstream";

jest.setTimeout(120_000);

// Per-consumer upstream credentials (tokenExchange, passthrough) on every path a request made on a consumer's
// behalf takes, not only the routed call: the broker's GET notification streams, a re-initialize after a lost
// backend session, calls bridged between the protocol generations, the logging/setLevel fan-out and the DELETE.
// Each upstream records which token (subject) every request carried; the gateway's `discovery` client
// (mcp-gateway) may appear only on its own listing traffic, never on a consumer's request.

const GATEWAY = "http://gateway.test/mcp";
const GATEWAY_CLIENT = {
  client_id: "mcp-gateway",
  client_secret: "gw-secret-consumer-creds-81c3",
  grant_types: ["client_credentials", TOKEN_EXCHANGE_GRANT],
};
const ALICE = { client_id: "alice", client_secret: "alice-secret-c2d9", grant_types: ["client_credentials"] };
const BOB = { client_id: "bob", client_secret: "bob-secret-90fa", grant_types: ["client_credentials"] };
// An API-key consumer: it has no token the gateway could exchange or forward.
const CAROL_KEY = "carol-api-key-never-forwarded-5e1b";
const DISCOVERY = GATEWAY_CLIENT.client_id;
const REVISION = "2026-07-28";
const MODERN_META = {
  "io.modelcontextprotocol/protocolVersion": REVISION,
  "io.modelcontextprotocol/clientCapabilities": {},
  "io.modelcontextprotocol/clientInfo": { name: "modern-e2e", version: "1.0.0" },
};

const modes = deployments();
// Every deployment: Envoy mode (real Envoy) with router and broker in one process, apart over Redis, and standalone.
const MODES = modes.all;

afterAll(async () => {
  await modes.stop();
});

/** The `sub` of a `Bearer <JWT>` header value (the legacy fixtures verify signatures; the modern one records). */
function subjectOf(authorization: string | undefined): unknown {
  const payload = /^Bearer [^.]+\.([^.]+)\./.exec(authorization ?? "")?.[1];
  if (payload === undefined) return undefined;
  return (JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { sub?: unknown }).sub;
}

const subjects = (seen: readonly SeenRequest[]): (string | undefined)[] => seen.map((s) => s.subject ?? s.refused);

/** Each upstream session (by id) and the set of subjects whose tokens its requests carried. */
function sessionSubjects(seen: readonly SeenRequest[]): Map<string, Set<string | undefined>> {
  const sessions = new Map<string, Set<string | undefined>>();
  for (const request of seen) {
    if (request.sessionId === undefined) continue;
    const set = sessions.get(request.sessionId) ?? new Set();
    sessions.set(request.sessionId, set.add(request.subject ?? request.refused));
  }
  return sessions;
}

/**
 * The invariant: an upstream session is one party's. The gateway's discovery session carries only its token, a
 * consumer's backend session only that consumer's; a session mixing subjects had a consumer's request made under the
 * gateway's identity (or the reverse). Returns the mixed ones as `[subjects]`, and alice's sessions.
 */
function partyCheck(seen: readonly SeenRequest[]): { mixed: string[][]; alice: string[] } {
  const sessions = sessionSubjects(seen);
  const mixed = [...sessions.values()].filter((set) => set.size > 1).map((set) => [...set].map(String).sort());
  const alice = [...sessions].filter(([, set]) => set.size === 1 && set.has("alice")).map(([id]) => id);
  return { mixed, alice };
}

describe.each(MODES)("per-consumer upstream credentials on every path (%s)", (_label, mode) => {
  let provider: OAuthProvider;
  const up: Record<string, ProtectedUpstream> = {};
  let modern: ModernUpstream;
  let modernPt: ModernUpstream;
  let stack: GatewayStack;

  const secret = `tokenUrl: "{TOKEN}", clientId: ${GATEWAY_CLIENT.client_id}, clientSecret: "\${env:E2E_CC_SECRET}"`;
  const client = (extra: string): string => `${secret.replace("{TOKEN}", provider.tokenUrl)}, ${extra}`;
  const servers = (): string[] => [
    `name: tx, url: "${up["tx"]?.url}", auth: { type: tokenExchange, ${client(`resource: "${up["tx"]?.url}"`)}, discovery: { ${client(`resource: "${up["tx"]?.url}"`)} } }`,
    `name: pt, url: "${up["pt"]?.url}", auth: { type: passthrough, audience: "${GATEWAY}", discovery: { ${client(`resource: "${GATEWAY}"`)} } }`,
    `name: mtx, url: "${modern.url}", auth: { type: tokenExchange, ${client(`resource: "${modern.url}"`)}, discovery: { ${client(`resource: "${modern.url}"`)} } }`,
    `name: mpt, url: "${modernPt.url}", auth: { type: passthrough, audience: "${GATEWAY}", discovery: { ${client(`resource: "${GATEWAY}"`)} } }`,
  ];
  const access = (): string => `auth:
  jwt: { issuer: "${provider.issuer}", audience: "${GATEWAY}", jwksUrl: "${provider.jwksUrl}", algorithms: [RS256], defaultPolicy: everything }
  apiKeys: { header: x-api-key }
consumers:
  - { name: carol, keyHash: "sha256:${createHash("sha256").update(CAROL_KEY).digest("hex")}", policy: everything }
policies:
  everything: { tools: ["*"], prompts: ["*"], resources: ["*"] }
`;
  const aliceHeaders = async (): Promise<Record<string, string>> => ({
    authorization: `Bearer ${await clientToken(provider, ALICE, GATEWAY)}`,
  });
  const connectAlice = async (): Promise<ConnectedClient> =>
    connectClient(stack.url, "alice-e2e", await aliceHeaders());

  beforeAll(async () => {
    provider = await startOAuthProvider({ clients: [GATEWAY_CLIENT, ALICE, BOB], callerResource: GATEWAY });
    const verify = { issuer: provider.issuer, jwksUrl: provider.jwksUrl };
    up["tx"] = await startProtectedUpstream(verify);
    up["pt"] = await startProtectedUpstream({ ...verify, audience: GATEWAY });
    modern = await startModernUpstream();
    modernPt = await startModernUpstream();
    process.env["E2E_CC_SECRET"] = GATEWAY_CLIENT.client_secret;
    stack = await startGatewayStack(await mode(), { extraServers: servers(), access: access(), awaitReady: false });
    const ready = await pollUntil(async () => {
      const status = (await (await fetch(`${stack.brokerBase}/status`)).json()) as {
        upstreams: { name: string; state: string }[];
      };
      return ["tx", "pt", "mtx", "mpt"].every((name) =>
        status.upstreams.some((u) => u.name === name && u.state === "ready"),
      );
    }, 20_000);
    if (!ready) throw new Error("upstreams not ready");
  });
  afterAll(async () => {
    await stack?.stop();
    for (const upstream of Object.values(up)) await upstream.close();
    await modern?.close();
    await modernPt?.close();
    await provider?.close();
  });

  it("opens the broker's GET notification streams to per-consumer upstreams with the listening consumer's token", async () => {
    const alice = await connectAlice();
    const before = { tx: up["tx"]?.seen.length ?? 0, pt: up["pt"]?.seen.length ?? 0 };
    // The calls create the backend sessions; the SDK client holds its GET stream, so the broker relays theirs.
    for (const name of ["tx_server_info", "pt_server_info"])
      expect((await alice.client.callTool({ name, arguments: {} })).isError).toBeFalsy();
    // The GET streams on the backend sessions alice's calls opened (those whose POSTs carried alice's token).
    const callSessions = (name: "tx" | "pt"): Set<string | undefined> =>
      new Set(
        (up[name]?.seen.slice(before[name]) ?? [])
          .filter((seen) => seen.method === "POST" && seen.subject === "alice")
          .map((seen) => seen.sessionId),
      );
    const gets = (name: "tx" | "pt"): SeenRequest[] =>
      (up[name]?.seen.slice(before[name]) ?? []).filter(
        (seen) => seen.method === "GET" && callSessions(name).has(seen.sessionId),
      );
    expect(await pollUntil(() => gets("tx").length > 0 && gets("pt").length > 0, 10_000)).toBe(true);
    await alice.close();
    expect(subjects(gets("tx"))).toEqual(gets("tx").map(() => "alice"));
    expect(subjects(gets("pt"))).toEqual(gets("pt").map(() => "alice"));
  });

  it("re-initializes a lost backend session with the consumer's token, and replays the call under it", async () => {
    const alice = await connectAlice();
    expect((await alice.client.callTool({ name: "tx_server_info", arguments: {} })).isError).toBeFalsy();
    await up["tx"]?.dropSessions();
    const from = up["tx"]?.seen.length ?? 0;
    expect((await alice.client.callTool({ name: "tx_server_info", arguments: {} })).isError).toBeFalsy();
    await alice.close();
    // The call (404), the initialize, notifications/initialized and the replayed call on the new session: all one
    // party's (before the fix the gateway initialized it with the discovery token, then sent alice's call on it).
    const { mixed, alice: sessions } = partyCheck(up["tx"]?.seen.slice(from) ?? []);
    expect(mixed).toEqual([]);
    expect(sessions.length).toBeGreaterThanOrEqual(1);
  });

  it("sends a legacy client's call bridged to a 2026 upstream with the consumer's exchanged token", async () => {
    const alice = await connectAlice();
    const from = modern.requests.length;
    const result = await alice.client.callTool({ name: "mtx_echo", arguments: { text: "hi" } });
    await alice.close();
    expect(result.content).toEqual([{ type: "text", text: "echo: hi" }]);
    // The bridged exchange's requests (discovery's own health checks may interleave: they are the gateway's).
    const calls = modern.requests.slice(from).filter((request) => request.method === "tools/call");
    expect(calls.map((request) => subjectOf(request.headers["authorization"]))).toEqual(["alice"]);
  });

  it("sends a 2026 client's call bridged to a 2025 upstream with the consumer's own token (initialize included)", async () => {
    const from = up["tx"]?.seen.length ?? 0;
    const body = {
      jsonrpc: "2.0",
      id: 3,
      method: "tools/call",
      params: { name: "tx_server_info", arguments: {}, _meta: MODERN_META },
    };
    const reply = await rawPost(stack.url, JSON.stringify(body), {
      ...(await aliceHeaders()),
      "mcp-protocol-version": REVISION,
      "mcp-method": "tools/call",
      "mcp-name": "tx_server_info",
    });
    expect(reply.json).toMatchObject({ id: 3, result: { content: [expect.objectContaining({ type: "text" })] } });
    const seen = up["tx"]?.seen.slice(from) ?? [];
    expect(seen.filter((request) => request.refused !== undefined)).toEqual([]);
    const { mixed, alice } = partyCheck(seen);
    expect(mixed).toEqual([]);
    expect(alice.length).toBeGreaterThanOrEqual(1);
  });

  it("sends a legacy client's call bridged to a 2026 passthrough upstream with the caller's own token", async () => {
    const headers = await aliceHeaders();
    const alice = await connectClient(stack.url, "alice-e2e", headers);
    const from = modernPt.requests.length;
    const result = await alice.client.callTool({ name: "mpt_echo", arguments: { text: "hi" } });
    await alice.close();
    expect(result.content).toEqual([{ type: "text", text: "echo: hi" }]);
    const calls = modernPt.requests.slice(from).filter((request) => request.method === "tools/call");
    // Passthrough: the very token alice authenticated with, not an exchanged or the gateway's one.
    expect(calls.map((request) => request.headers["authorization"])).toEqual([headers["authorization"]]);
  });

  it("sends a 2026 client's call bridged to a 2025 passthrough upstream with the caller's own token", async () => {
    const from = up["pt"]?.seen.length ?? 0;
    const body = {
      jsonrpc: "2.0",
      id: 4,
      method: "tools/call",
      params: { name: "pt_server_info", arguments: {}, _meta: MODERN_META },
    };
    const reply = await rawPost(stack.url, JSON.stringify(body), {
      ...(await aliceHeaders()),
      ...{ "mcp-protocol-version": REVISION, "mcp-method": "tools/call", "mcp-name": "pt_server_info" },
    });
    expect(reply.json).toMatchObject({ id: 4, result: { content: [expect.objectContaining({ type: "text" })] } });
    const seen = up["pt"]?.seen.slice(from) ?? [];
    expect(seen.filter((request) => request.refused !== undefined)).toEqual([]);
    const { mixed, alice } = partyCheck(seen);
    expect(mixed).toEqual([]);
    expect(alice.length).toBeGreaterThanOrEqual(1);
  });

  it("sends prompts/get and resources/read to a tokenExchange upstream with the consumer's exchanged token", async () => {
    const alice = await connectAlice();
    const from = up["tx"]?.seen.length ?? 0;
    const prompt = await alice.client.getPrompt({ name: "tx_weather_report", arguments: { city: "Paris" } });
    const resource = await alice.client.readResource({ uri: "tx+weather://cities" });
    await alice.close();
    expect(JSON.stringify(prompt.messages)).toContain("Paris");
    expect(resource.contents.length).toBe(1);
    const seen = (up["tx"]?.seen.slice(from) ?? []).filter((request) => request.subject !== DISCOVERY);
    expect(seen.filter((request) => request.refused !== undefined)).toEqual([]);
    expect(
      seen.filter((request) => request.method === "POST" && request.subject === "alice").length,
    ).toBeGreaterThanOrEqual(2);
    expect(partyCheck(up["tx"]?.seen.slice(from) ?? []).mixed).toEqual([]);
  });

  it("sends the logging/setLevel fan-out and the session's DELETE with the consumer's token", async () => {
    const alice = await connectAlice();
    expect((await alice.client.callTool({ name: "tx_server_info", arguments: {} })).isError).toBeFalsy();
    const from = up["tx"]?.seen.length ?? 0;
    await alice.client.setLoggingLevel("debug");
    await alice.transport.terminateSession();
    await alice.close();
    const sent = (): SeenRequest[] => up["tx"]?.seen.slice(from) ?? [];
    // The DELETE of alice's backend session (the gateway may end its own discovery sessions meanwhile: its business).
    const own = new Set(partyCheck(up["tx"]?.seen ?? []).alice);
    const deleted = (): SeenRequest[] =>
      sent().filter((seen) => seen.method === "DELETE" && own.has(seen.sessionId ?? ""));
    expect(await pollUntil(() => deleted().length > 0, 10_000)).toBe(true);
    expect(subjects(deleted())).toEqual(deleted().map(() => "alice"));
    // logging/setLevel went to alice's backend session: under her token, not the discovery one.
    expect(partyCheck(up["tx"]?.seen ?? []).mixed).toEqual([]);
    expect(sent().filter((seen) => seen.refused !== undefined)).toEqual([]);
  });

  it("refuses an API-key consumer's bridged call to a per-consumer server, naming it, and never sends the discovery token for it", async () => {
    const carol = await connectClient(stack.url, "carol-e2e", { "x-api-key": CAROL_KEY });
    const from = modern.requests.length;
    await expect(carol.client.callTool({ name: "mtx_echo", arguments: { text: "hi" } })).rejects.toThrow(
      /upstream \\?"mtx\\?".*bearer token/,
    );
    await carol.close();
    expect(modern.requests.slice(from).filter((request) => request.method === "tools/call")).toEqual([]);
  });

  // Behind the router the broker trusts the router's signed identity and reads the bearer token beside it to exchange
  // or forward: a valid header for alice's token must not let another token (bob's) through to an upstream.
  // (Standalone has no router and no identity header: the case exists only behind Envoy.)
  const behindRouter = _label !== "standalone";
  if (behindRouter)
    it("refuses at the broker a token other than the one the router's identity header was signed for", async () => {
      const aliceToken = await clientToken(provider, ALICE, GATEWAY);
      const identity = { consumer: "jwt:alice", policy: "everything", method: "jwt" } as const;
      const signed = new IdentityCodec(E2E_SESSION_SECRET).sign(identity, aliceToken);
      const body = {
        jsonrpc: "2.0",
        id: 7,
        method: "tools/call",
        params: { name: "tx_server_info", arguments: {}, _meta: MODERN_META },
      };
      const post = (token: string) =>
        rawPost(`${stack.brokerBase}/mcp`, JSON.stringify(body), {
          authorization: `Bearer ${token}`,
          [IDENTITY_HEADER]: signed,
          ...{ "mcp-protocol-version": REVISION, "mcp-method": "tools/call", "mcp-name": "tx_server_info" },
        });
      // The control: the header is valid, with the token it was signed for the call goes through as alice.
      let from = up["tx"]?.seen.length ?? 0;
      expect((await post(aliceToken)).json).toMatchObject({ id: 7, result: { content: [expect.anything()] } });
      // (The gateway's own health checks may interleave, under its discovery token.)
      const sent = (): (string | undefined)[] =>
        subjects(up["tx"]?.seen.slice(from) ?? []).filter((subject) => subject !== DISCOVERY);
      expect(new Set(sent())).toEqual(new Set(["alice"]));
      // The same header beside bob's token: refused, and nothing reaches the upstream under either token.
      from = up["tx"]?.seen.length ?? 0;
      const reply = await post(await clientToken(provider, BOB, GATEWAY));
      expect(reply.status).toBe(401);
      expect(JSON.stringify(reply.json)).toContain("the bearer token is not the one the gateway router authenticated");
      expect(sent()).toEqual([]);
    });

  it("drops only the refused consumer's exchanged token on a 401: another consumer keeps using its own", async () => {
    const bob = await connectClient(stack.url, "bob-e2e", {
      authorization: `Bearer ${await clientToken(provider, BOB, GATEWAY)}`,
    });
    const alice = await connectAlice();
    const callAs = (client: ConnectedClient) => client.client.callTool({ name: "tx_server_info", arguments: {} });
    /** The `jti` of the exchanged token `subject`'s latest POST carried. */
    const lastToken = (subject: string): string | undefined =>
      up["tx"]?.seen.filter((seen) => seen.method === "POST" && seen.subject === subject).at(-1)?.tokenId;
    expect((await callAs(alice)).isError).toBeFalsy();
    expect((await callAs(bob)).isError).toBeFalsy();
    const [aliceBefore, bobBefore] = [lastToken("alice"), lastToken("bob")];
    // The upstream revokes alice's exchanged token: her call fails naming the server, her token is exchanged anew.
    up["tx"]?.refuseNextPost("alice");
    await expect(callAs(alice)).rejects.toThrow(/upstream \\*"tx\\*" refused the token the gateway exchanged/);
    expect((await callAs(alice)).isError).toBeFalsy();
    expect(lastToken("alice")).not.toBe(aliceBefore);
    // Bob's exchanged token was not refused: it is still the one in use (before: every consumer's was dropped).
    expect((await callAs(bob)).isError).toBeFalsy();
    expect(lastToken("bob")).toBe(bobBefore);
    await Promise.all([alice.close(), bob.close()]);
  });

  it("kept every upstream session one party's over the whole run, and no call under the discovery token", () => {
    for (const name of ["tx", "pt"]) {
      const { mixed } = partyCheck(up[name]?.seen ?? []);
      expect({ name, mixed }).toEqual({ name, mixed: [] });
      // The discovery client did list and check health: on sessions of its own.
      expect(up[name]?.seen.some((seen) => seen.subject === DISCOVERY)).toBe(true);
    }
    for (const request of modern.requests.filter((r) => r.method === "tools/call"))
      expect(subjectOf(request.headers["authorization"])).not.toBe(DISCOVERY);
  });

  it("keeps callers' tokens and the carol API key out of the gateway's log and /status", async () => {
    const status = await (await fetch(`${stack.brokerBase}/status`)).text();
    for (const text of [stack.gatewayOutput(), status]) {
      expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
      expect(text).not.toContain(CAROL_KEY);
      expect(text).not.toContain(GATEWAY_CLIENT.client_secret);
    }
  });
});
