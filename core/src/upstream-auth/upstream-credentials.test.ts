import type { UpstreamAuth } from "../config/upstream-auth-schema";
import { GatewayError } from "../errors";
import { bearerTokenOf, UpstreamCredentials } from "./upstream-credentials";
import { upstreamRefusal } from "./upstream-refusal";

const b64 = (value: object): string => Buffer.from(JSON.stringify(value)).toString("base64url");
/** An unsigned JWT-shaped token: the gateway verified the caller's token at the edge; here only `aud` is read. */
const tokenFor = (aud: string | string[]): string => `${b64({ alg: "RS256" })}.${b64({ sub: "alice", aud })}.sig`;

const passthrough = (audience: string): UpstreamAuth => ({ type: "passthrough", audience });
const refreshToken: UpstreamAuth = {
  type: "oauth2RefreshToken",
  tokenUrl: "http://127.0.0.1:1/token",
  clientId: "gw",
  clientSecret: "s",
  scopes: [],
  refreshSkew: 30_000,
  refreshToken: "rt",
  store: { file: "/tmp/never-written.json" },
};

describe("UpstreamCredentials", () => {
  it("forwards a passthrough caller's token whose aud names the server's audience", async () => {
    const token = tokenFor(["https://gw", "https://up"]);
    const headers = await new UpstreamCredentials().callHeaders({ name: "up", auth: passthrough("https://up") }, token);
    expect(headers).toEqual({ authorization: `Bearer ${token}` });
  });

  it.each([
    ["another audience", tokenFor("https://gw")],
    ["no JWT at all", "opaque-token"],
  ])("refuses a passthrough token with %s, naming the server and audience", async (_label, token) => {
    const call = new UpstreamCredentials().callHeaders({ name: "up", auth: passthrough("https://up") }, token);
    await expect(call).rejects.toThrow('upstream "up" accepts only tokens for audience "https://up"');
  });

  it("refuses a per-consumer server to a caller without a bearer token (an API key)", async () => {
    const call = new UpstreamCredentials().callHeaders({ name: "up", auth: passthrough("https://up") }, undefined);
    await expect(call).rejects.toMatchObject({ httpStatus: 403, message: expect.stringContaining('"up"') });
  });

  it("sends nothing for a server without auth, or a per-consumer one without discovery credentials", async () => {
    const credentials = new UpstreamCredentials();
    expect(await credentials.gatewayHeaders({ name: "plain" })).toEqual({});
    expect(await credentials.gatewayHeaders({ name: "up", auth: passthrough("https://up") })).toEqual({});
  });

  it("refuses a refresh-token file store in a split deployment, naming the server and the fix", async () => {
    const credentials = new UpstreamCredentials({ splitDeployment: true });
    expect(credentials.unsharedStores([{ name: "crm", auth: refreshToken }, { name: "plain" }])).toEqual(["crm"]);
    await expect(credentials.gatewayHeaders({ name: "crm", auth: refreshToken })).rejects.toThrow(
      'upstream "crm": no access token could be obtained (store.file cannot be shared',
    );
    expect(new UpstreamCredentials().unsharedStores([{ name: "crm", auth: refreshToken }])).toEqual([]);
  });

  it.each([
    ["Bearer abc.def-_~+/=", "abc.def-_~+/="],
    ["bearer  x", "x"],
    [" Bearer x ", "x"],
    ["Basic abc", undefined],
    ["Bearer a b", undefined],
    [undefined, undefined],
  ])("reads the bearer token of %j", (header, token) => {
    expect(bearerTokenOf(header)).toBe(token);
  });
});

describe("upstreamRefusal", () => {
  const challenge = { "www-authenticate": 'Bearer error="invalid_token"' };

  it("names the token exchanged for the caller when a tokenExchange server refuses it", () => {
    const exchange: UpstreamAuth = {
      ...{ type: "tokenExchange", tokenUrl: "http://127.0.0.1:1/token", clientId: "gw", clientSecret: "s" },
      ...{ scopes: [], refreshSkew: 30_000 },
    };
    const error = upstreamRefusal({ name: "tx", auth: exchange }, 401, challenge, 3, new UpstreamCredentials(), {
      authorization: "Bearer exchanged",
    });
    expect(error).toMatchObject({
      httpStatus: 502,
      message: 'upstream "tx" refused the token the gateway exchanged for the caller (401)',
    });
  });

  it("relays a passthrough server's challenge with HTTP 401", () => {
    const error = upstreamRefusal({ name: "up", auth: passthrough("a") }, 401, challenge, 7, undefined);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ httpStatus: 401, id: 7, headers: challenge });
    expect(error?.message).toContain('upstream "up" refused the caller\'s token (401)');
  });

  it("answers 502 without the challenge when the gateway's own credentials were refused", () => {
    const error = upstreamRefusal({ name: "crm", auth: refreshToken }, 401, challenge, 1, undefined);
    expect(error).toMatchObject({ httpStatus: 502, headers: {} });
    expect(error?.message).toBe('upstream "crm" refused the gateway\'s credentials for it (401)');
  });

  it("does not relay a challenge with line breaks", () => {
    const bad = { "www-authenticate": "Bearer\r\nset-cookie: x=1" };
    expect(upstreamRefusal({ name: "up", auth: passthrough("a") }, 401, bad, 1, undefined)?.headers).toEqual({});
  });

  it("leaves any other status alone", () => {
    expect(upstreamRefusal({ name: "up" }, 403, {}, 1, undefined)).toBeUndefined();
  });
});
