import { inspect } from "node:util";
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload, type KeyLike } from "jose";
import { generateApiKey, hashApiKey, isApiKeyHash } from "./api-keys";
import { AuthError, type AuthFailureReason } from "./auth-errors";
import { Authenticator, looksLikeJwt, type ApiKeyRecord, type AuthenticatorOptions } from "./authenticator";
import { JwtVerifier } from "./jwt-verifier";

const ISSUER = "https://idp.example.com";
const AUDIENCE = "https://gateway.example.com/mcp";
const ALICE_KEY = generateApiKey();
const KEYS = new Map<string, ApiKeyRecord>([[hashApiKey(ALICE_KEY), { consumer: "alice", policy: "default" }]]);

let privateKey: KeyLike;
let verifier: JwtVerifier;

beforeAll(async () => {
  const pair = await generateKeyPair("ES256");
  privateKey = pair.privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: "k1" };
  verifier = new JwtVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwks: { keys: [jwk] },
    algorithms: ["ES256"],
    toolsClaim: "scope",
  });
});

function jwt(claims: JWTPayload = {}): Promise<string> {
  return new SignJWT({ iss: ISSUER, aud: AUDIENCE, sub: "bob", exp: Math.floor(Date.now() / 1000) + 300, ...claims })
    .setProtectedHeader({ alg: "ES256", kid: "k1" })
    .sign(privateKey);
}

const lookup = jest.fn((hash: string) => KEYS.get(hash));
beforeEach(() => lookup.mockClear());

function apiKeyAuth(header = "x-api-key", find: NonNullable<AuthenticatorOptions["apiKeys"]>["lookup"] = lookup) {
  return new Authenticator({ apiKeys: { header, lookup: find } });
}

function jwtAuth(
  policyFor = (consumer: string) => (consumer === "bob" ? "builders" : undefined),
  defaultPolicy?: string,
) {
  return new Authenticator({ jwt: { verifier, policyFor, defaultPolicy } });
}

/** Asserts the reason and that neither the message nor anything in the error echoes the credential. */
async function expectFailure(promise: Promise<unknown>, reason: AuthFailureReason, secret: string): Promise<void> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AuthError);
  expect((error as AuthError).reason).toBe(reason);
  for (const part of [secret, ...secret.split(".")].filter((value) => value.length >= 8)) {
    expect((error as AuthError).message).not.toContain(part);
    expect(inspect(error, { depth: 10 })).not.toContain(part);
  }
}

describe("Authenticator with API keys", () => {
  it("accepts a known key from its header", async () => {
    await expect(apiKeyAuth().authenticate({ "x-api-key": ALICE_KEY })).resolves.toEqual({
      consumer: "alice",
      policy: "default",
      method: "api-key",
    });
  });

  it("looks keys up by hash, never by the key itself", async () => {
    await apiKeyAuth().authenticate({ "x-api-key": ALICE_KEY });
    const [hash] = lookup.mock.calls[0] ?? [];
    expect(isApiKeyHash(hash ?? "")).toBe(true);
    expect(hash).not.toContain(ALICE_KEY);
  });

  it("accepts a key as Authorization: bearer (any case)", async () => {
    const auth = apiKeyAuth("authorization");
    await expect(auth.authenticate({ authorization: `bearer ${ALICE_KEY}` })).resolves.toMatchObject({
      consumer: "alice",
    });
  });

  it("refuses an unknown key", async () => {
    const wrong = generateApiKey();
    await expectFailure(apiKeyAuth().authenticate({ "x-api-key": wrong }), "invalid-api-key", wrong);
  });

  it("refuses a known key with one character changed", async () => {
    const wrong = ALICE_KEY.slice(0, -1) + (ALICE_KEY.endsWith("A") ? "B" : "A");
    await expectFailure(apiKeyAuth().authenticate({ "x-api-key": wrong }), "invalid-api-key", wrong);
  });

  it("does not read a key sent in a header other than the configured one", async () => {
    const auth = apiKeyAuth("x-api-key");
    await expectFailure(auth.authenticate({ authorization: `Bearer ${ALICE_KEY}` }), "missing-credentials", ALICE_KEY);
    expect(lookup).not.toHaveBeenCalled();
  });

  it.each([
    ["no token", "Bearer"],
    ["two tokens", `Bearer ${ALICE_KEY} extra`],
    ["another scheme", `Basic ${ALICE_KEY}`],
  ])("treats an authorization value with %s as no credentials", async (_name, authorization) => {
    await expectFailure(apiKeyAuth("authorization").authenticate({ authorization }), "missing-credentials", ALICE_KEY);
  });

  it("confirms the hash a store returns, so a loosely matching store cannot let a wrong key in", async () => {
    const loose = apiKeyAuth("x-api-key", () => ({
      consumer: "alice",
      policy: "default",
      keyHash: hashApiKey(ALICE_KEY),
    }));
    const wrong = generateApiKey();
    await expectFailure(loose.authenticate({ "x-api-key": wrong }), "invalid-api-key", wrong);
    await expect(loose.authenticate({ "x-api-key": ALICE_KEY })).resolves.toMatchObject({ consumer: "alice" });
  });

  it("awaits an asynchronous store", async () => {
    const auth = apiKeyAuth("x-api-key", (hash) => Promise.resolve(KEYS.get(hash)));
    await expect(auth.authenticate({ "x-api-key": ALICE_KEY })).resolves.toMatchObject({ consumer: "alice" });
  });

  it("lets a store outage through as it is (not as a wrong key)", async () => {
    const outage = new Error("connection refused");
    const auth = apiKeyAuth("x-api-key", () => Promise.reject(outage));
    await expect(auth.authenticate({ "x-api-key": ALICE_KEY })).rejects.toBe(outage);
  });

  it("refuses a request without credentials", async () => {
    await expect(apiKeyAuth().authenticate({})).rejects.toMatchObject({
      reason: "missing-credentials",
      message: "no credentials: expected an API key in the x-api-key header",
    });
  });
});

describe("Authenticator with JWTs", () => {
  it("accepts a valid token and maps its consumer to a policy", async () => {
    await expect(jwtAuth().authenticate({ authorization: `Bearer ${await jwt()}` })).resolves.toEqual({
      consumer: "bob",
      policy: "builders",
      method: "jwt",
    });
  });

  it("carries the tools the token grants", async () => {
    const token = await jwt({ scope: "weather_get notes_list" });
    const identity = await jwtAuth().authenticate({ authorization: `Bearer ${token}` });
    expect(identity.tools).toEqual(["weather_get", "notes_list"]);
  });

  it("falls back to the default policy", async () => {
    const token = await jwt({ sub: "carol" });
    const identity = await jwtAuth(undefined, "guests").authenticate({ authorization: `Bearer ${token}` });
    expect(identity).toMatchObject({ consumer: "jwt:carol", policy: "guests" });
  });

  it("refuses a consumer without a policy", async () => {
    const token = await jwt({ sub: "carol" });
    await expectFailure(jwtAuth().authenticate({ authorization: `Bearer ${token}` }), "no-policy", token);
  });

  it("passes the verifier's reason through", async () => {
    const token = await jwt({ exp: Math.floor(Date.now() / 1000) - 3600 });
    await expectFailure(jwtAuth().authenticate({ authorization: `Bearer ${token}` }), "expired", token);
  });

  it("sends an unsigned token to the verifier, which refuses it", async () => {
    const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url");
    const token = `${b64({ alg: "none" })}.${b64({ iss: ISSUER, aud: AUDIENCE, sub: "bob" })}.`;
    await expectFailure(jwtAuth().authenticate({ authorization: `Bearer ${token}` }), "algorithm-not-allowed", token);
  });

  it("refuses a bearer value that is not a JWT when API keys are not configured", async () => {
    const opaque = generateApiKey();
    await expectFailure(jwtAuth().authenticate({ authorization: `Bearer ${opaque}` }), "malformed-token", opaque);
  });

  it("refuses a request without credentials", async () => {
    await expect(jwtAuth().authenticate({})).rejects.toMatchObject({ reason: "missing-credentials" });
  });
});

describe("Authenticator with API keys and JWTs", () => {
  const accepting = jest.fn(() => ({ consumer: "anyone", policy: "admin" }));
  const both = (header: string) =>
    new Authenticator({ apiKeys: { header, lookup: accepting }, jwt: { verifier, policyFor: () => "builders" } });
  beforeEach(() => accepting.mockClear());

  it("does not fall back to API keys when a JWT fails", async () => {
    const token = await jwt({ aud: "https://elsewhere.example.com" });
    await expectFailure(
      both("authorization").authenticate({ authorization: `Bearer ${token}` }),
      "wrong-audience",
      token,
    );
    expect(accepting).not.toHaveBeenCalled();
  });

  it("reads an opaque bearer value as an API key", async () => {
    const auth = both("authorization");
    await expect(auth.authenticate({ authorization: `Bearer ${ALICE_KEY}` })).resolves.toMatchObject({
      method: "api-key",
    });
  });

  it("prefers the JWT when both are sent", async () => {
    const headers = { authorization: `Bearer ${await jwt()}`, "x-api-key": ALICE_KEY };
    await expect(both("x-api-key").authenticate(headers)).resolves.toMatchObject({ consumer: "bob", method: "jwt" });
  });

  it("names both ways in a missing-credentials message", async () => {
    await expect(both("x-api-key").authenticate({})).rejects.toThrow(
      "no credentials: expected a bearer token or an API key in the x-api-key header",
    );
  });
});

describe("Authenticator configuration", () => {
  it("needs at least one method", () => {
    expect(() => new Authenticator({})).toThrow(/apiKeys, jwt or both/);
  });
});

describe("looksLikeJwt", () => {
  it.each([
    ["eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln", true],
    ["eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0.", true],
    ["mcpgw_AbCdEf", false],
    ["a.b", false],
    ["a.b.c.d.e", false],
    ["a+b.c.d", false],
    [".b.c", false],
  ])("%j is %p", (value, expected) => {
    expect(looksLikeJwt(value)).toBe(expected);
  });
});
