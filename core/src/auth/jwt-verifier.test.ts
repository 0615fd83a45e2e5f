import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { inspect } from "node:util";
import {
  CompactSign,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  SignJWT,
  type JWK,
  type JWTPayload,
  type KeyLike,
} from "jose";
import { AuthError, type AuthFailureReason } from "./auth-errors";
import { JwtVerifier } from "./jwt-verifier";
import type { JwtVerifierOptions } from "./jwt-options";

const ISSUER = "https://idp.example.com";
const AUDIENCE = "https://gateway.example.com/mcp";

interface KeyPair {
  kid: string;
  alg: string;
  privateKey: KeyLike;
  jwk: JWK;
}

async function keyPair(kid: string, alg: string): Promise<KeyPair> {
  const { publicKey, privateKey } = await generateKeyPair(alg);
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: "sig" } };
}

const now = (): number => Math.floor(Date.now() / 1000);
const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url");

/** A JWKS endpoint whose key set, status and behaviour the tests change; counts fetches. */
class JwksServer {
  keys: JWK[] = [];
  status = 200;
  body: string | undefined;
  hang = false;
  fetches = 0;
  private readonly server: Server = createServer((_req, res) => {
    this.fetches += 1;
    if (this.hang) return;
    res.writeHead(this.status, { "content-type": "application/json" });
    res.end(this.body ?? JSON.stringify({ keys: this.keys }));
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/jwks.json`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

let rsa: KeyPair;
let ec: KeyPair;
let rotated: KeyPair;
let attacker: KeyPair;
const jwks = new JwksServer();
let jwksUrl: string;

beforeAll(async () => {
  [rsa, ec, rotated, attacker] = await Promise.all([
    keyPair("rsa-1", "RS256"),
    keyPair("ec-1", "ES256"),
    keyPair("rsa-2", "RS256"),
    keyPair("rsa-1", "RS256"), // same kid as the real key: only the signature can tell them apart
  ]);
  jwks.keys = [rsa.jwk, ec.jwk];
  jwksUrl = await jwks.start();
});

afterAll(() => jwks.stop());

function verifier(overrides: Partial<JwtVerifierOptions> = {}): JwtVerifier {
  return new JwtVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwksUrl,
    algorithms: ["RS256", "ES256"],
    clockSkewSeconds: 0,
    toolsClaim: "tools",
    jwksCooldownMs: 0,
    ...overrides,
  });
}

async function sign(claims: JWTPayload = {}, key: KeyPair = rsa, header: { kid?: string } = {}): Promise<string> {
  return new SignJWT({ iss: ISSUER, aud: AUDIENCE, sub: "alice", exp: now() + 300, ...claims })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, ...header })
    .sign(key.privateKey);
}

/** Asserts the reason, and that nothing about the error (message, cause, inspect output) echoes the token. */
async function expectFailure(promise: Promise<unknown>, reason: AuthFailureReason, token: string): Promise<AuthError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AuthError);
  const authError = error as AuthError;
  expect(authError.reason).toBe(reason);
  const dump = inspect(authError, { depth: 10 });
  for (const part of [token, ...token.split(".")].filter((secret) => secret.length >= 8)) {
    expect(authError.message).not.toContain(part);
    expect(dump).not.toContain(part);
  }
  return authError;
}

describe("JwtVerifier accepts", () => {
  it("a valid RS256 token and names its consumer", async () => {
    const result = await verifier().verify(await sign({ sub: "alice" }));
    expect(result.consumer).toBe("alice");
    expect(result.claims.iss).toBe(ISSUER);
    expect(result.tools).toBeUndefined();
  });

  it("a valid ES256 token", async () => {
    expect((await verifier().verify(await sign({ sub: "bob" }, ec))).consumer).toBe("bob");
  });

  it("a token whose aud list contains one of the configured audiences", async () => {
    const token = await sign({ aud: ["https://other.example.com", "urn:second"] });
    expect((await verifier({ audience: ["urn:first", "urn:second"] }).verify(token)).consumer).toBe("alice");
  });

  it("a static key set", async () => {
    const staticVerifier = verifier({ jwksUrl: undefined, jwks: { keys: [rsa.jwk] } });
    expect((await staticVerifier.verify(await sign())).consumer).toBe("alice");
  });

  it("reads the consumer from a configured claim", async () => {
    const token = await sign({ client_id: "agent-7" });
    expect((await verifier({ consumerClaim: "client_id" }).verify(token)).consumer).toBe("agent-7");
  });

  it("fetches the key set once and then serves from cache", async () => {
    const cached = verifier({ jwksCooldownMs: 60_000 });
    const before = jwks.fetches;
    await cached.verify(await sign());
    await cached.verify(await sign({}, ec));
    expect(jwks.fetches - before).toBe(1);
  });
});

describe("JwtVerifier time checks", () => {
  it("refuses an expired token", async () => {
    const token = await sign({ exp: now() - 60 });
    await expectFailure(verifier().verify(token), "expired", token);
  });

  it("refuses a token whose nbf is in the future", async () => {
    const token = await sign({ nbf: now() + 60 });
    await expectFailure(verifier().verify(token), "not-yet-valid", token);
  });

  it("refuses a token without exp", async () => {
    const token = await sign({ exp: undefined });
    await expectFailure(verifier().verify(token), "missing-claim", token);
  });

  it("refuses a token whose exp is not a number", async () => {
    const token = await sign({ exp: "tomorrow" as unknown as number });
    await expectFailure(verifier().verify(token), "malformed-token", token);
  });

  it.each([
    ["expired 10 s ago", { exp: now() - 10 }, 30, undefined],
    ["expired 10 s ago", { exp: now() - 10 }, 5, "expired"],
    ["valid from 10 s ahead", { nbf: now() + 10 }, 30, undefined],
    ["valid from 10 s ahead", { nbf: now() + 10 }, 5, "not-yet-valid"],
  ] as const)("with a token %s and %i s skew: %s", async (_name, claims, skew, reason) => {
    const token = await sign(claims);
    const result = verifier({ clockSkewSeconds: skew }).verify(token);
    if (reason === undefined) await expect(result).resolves.toMatchObject({ consumer: "alice" });
    else await expectFailure(result, reason, token);
  });
});

describe("JwtVerifier claim checks", () => {
  it("refuses a token from another issuer", async () => {
    const token = await sign({ iss: "https://evil.example.com" });
    await expectFailure(verifier().verify(token), "wrong-issuer", token);
  });

  it("refuses a token without an issuer", async () => {
    const token = await sign({ iss: undefined });
    await expectFailure(verifier().verify(token), "missing-claim", token);
  });

  it("refuses a token minted for another audience", async () => {
    const token = await sign({ aud: "https://other-resource.example.com" });
    await expectFailure(verifier().verify(token), "wrong-audience", token);
  });

  it.each([
    ["absent", undefined],
    ["empty", ""],
    ["a number", 42],
    ["an object", { name: "alice" }],
  ])("refuses a token whose consumer claim is %s", async (_name, sub) => {
    const token = await sign({ sub: sub as string });
    const error = await expectFailure(verifier().verify(token), "missing-claim", token);
    expect(error.message).toContain('"sub"');
  });

  it.each([
    ["an array", ["weather_get", "notes_list"], ["weather_get", "notes_list"]],
    ["a space-separated string", "weather_get  notes_list", ["weather_get", "notes_list"]],
    ["an empty string", "", []],
  ])("reads a tools claim given as %s", async (_name, tools, expected) => {
    expect((await verifier().verify(await sign({ tools }))).tools).toEqual(expected);
  });

  it.each([
    ["a number", 7],
    ["an array with a number", ["weather_get", 7]],
    ["an array with an empty name", ["weather_get", ""]],
    ["an object", { weather_get: true }],
  ])("refuses a tools claim that is %s instead of reading it as no restriction", async (_name, tools) => {
    const token = await sign({ tools });
    await expectFailure(verifier().verify(token), "malformed-token", token);
  });
});

describe("JwtVerifier algorithm attacks", () => {
  it.each(["none", "None", "NONE"])("refuses an unsigned token with alg %s", async (alg) => {
    const payload = { iss: ISSUER, aud: AUDIENCE, sub: "mallory", exp: now() + 300 };
    const token = `${b64({ alg, typ: "JWT" })}.${b64(payload)}.`;
    await expectFailure(verifier().verify(token), "algorithm-not-allowed", token);
  });

  it("refuses HS256 signed with the RSA public key's PEM as HMAC secret (key confusion)", async () => {
    const { publicKey } = await generateKeyPair("RS256");
    const pem = await exportSPKI(publicKey);
    const token = await new SignJWT({ iss: ISSUER, aud: AUDIENCE, sub: "mallory", exp: now() + 300 })
      .setProtectedHeader({ alg: "HS256", kid: rsa.kid })
      .sign(new TextEncoder().encode(pem));
    await expectFailure(verifier().verify(token), "algorithm-not-allowed", token);
  });

  it("refuses HS256 signed with the published JWK's bytes as HMAC secret", async () => {
    const token = await new SignJWT({ iss: ISSUER, aud: AUDIENCE, sub: "mallory", exp: now() + 300 })
      .setProtectedHeader({ alg: "HS256", kid: rsa.kid })
      .sign(new TextEncoder().encode(JSON.stringify(rsa.jwk)));
    await expectFailure(verifier().verify(token), "algorithm-not-allowed", token);
  });

  it("refuses an ES256 token when only RS256 is allowed", async () => {
    const token = await sign({}, ec);
    await expectFailure(verifier({ algorithms: ["RS256"] }).verify(token), "algorithm-not-allowed", token);
  });
});

describe("JwtVerifier signature checks", () => {
  it("refuses a token whose payload was changed after signing", async () => {
    const [header, , signature] = (await sign({ sub: "alice" })).split(".");
    const forged = b64({ iss: ISSUER, aud: AUDIENCE, sub: "admin", exp: now() + 300 });
    const token = `${header}.${forged}.${signature}`;
    await expectFailure(verifier().verify(token), "invalid-signature", token);
  });

  it("refuses a token signed by another key that claims the issuer's kid", async () => {
    const token = await sign({}, attacker);
    await expectFailure(verifier().verify(token), "invalid-signature", token);
  });

  it("refuses a token whose signature was truncated", async () => {
    const token = (await sign()).slice(0, -10);
    await expectFailure(verifier().verify(token), "invalid-signature", token);
  });

  it("refuses a token naming a kid the issuer does not have", async () => {
    const token = await sign({}, rsa, { kid: "no-such-key" });
    await expectFailure(verifier().verify(token), "unknown-key", token);
  });

  it("refuses a token without kid when several keys could match", async () => {
    const twoRsa = verifier({ jwksUrl: undefined, jwks: { keys: [rsa.jwk, { ...rotated.jwk, kid: "x" }] } });
    const token = await new SignJWT({ iss: ISSUER, aud: AUDIENCE, sub: "alice", exp: now() + 300 })
      .setProtectedHeader({ alg: "RS256" })
      .sign(rsa.privateKey);
    await expectFailure(twoRsa.verify(token), "unknown-key", token);
  });

  it.each([
    ["not a JWT", "not-a-jwt"],
    ["three garbage segments", "a.b.c"],
    ["a header that is not JSON", `${Buffer.from("{nope").toString("base64url")}.e30.sig`],
    ["five segments (a JWE)", "a.b.c.d.e"],
    ["an empty string", ""],
    ["an overlong string", `${"a".repeat(20_000)}.b.c`],
  ])("refuses %s as malformed", async (_name, token) => {
    await expectFailure(verifier().verify(token), "malformed-token", token);
  });

  it("refuses a validly signed payload that is not a JSON object", async () => {
    const token = await new CompactSign(new TextEncoder().encode("[1,2]"))
      .setProtectedHeader({ alg: "RS256", kid: rsa.kid })
      .sign(rsa.privateKey);
    await expectFailure(verifier().verify(token), "malformed-token", token);
  });
});

describe("JwtVerifier key rotation", () => {
  it("refetches the key set for an unknown kid and accepts the new key once published", async () => {
    const rotation = new JwksServer();
    rotation.keys = [rsa.jwk];
    const rotating = verifier({ jwksUrl: await rotation.start() });
    try {
      await rotating.verify(await sign());
      const tokenB = await sign({}, rotated);
      await expectFailure(rotating.verify(tokenB), "unknown-key", tokenB);
      rotation.keys = [rsa.jwk, rotated.jwk];
      await expect(rotating.verify(tokenB)).resolves.toMatchObject({ consumer: "alice" });
      expect(rotation.fetches).toBe(3);
    } finally {
      await rotation.stop();
    }
  });

  it("does not refetch during the cooldown, so made-up kids cannot flood the issuer", async () => {
    const rotation = new JwksServer();
    rotation.keys = [rsa.jwk];
    const cooling = verifier({ jwksUrl: await rotation.start(), jwksCooldownMs: 60_000 });
    try {
      await cooling.verify(await sign());
      for (const kid of ["k1", "k2", "k3"]) {
        const token = await sign({}, rsa, { kid });
        await expectFailure(cooling.verify(token), "unknown-key", token);
      }
      expect(rotation.fetches).toBe(1);
    } finally {
      await rotation.stop();
    }
  });
});

describe("JwtVerifier when the key set is unavailable", () => {
  async function withServer(setup: (server: JwksServer) => void, options: Partial<JwtVerifierOptions> = {}) {
    const server = new JwksServer();
    setup(server);
    const url = await server.start();
    try {
      const token = await sign();
      await expectFailure(verifier({ jwksUrl: url, ...options }).verify(token), "jwks-unavailable", token);
    } finally {
      await server.stop();
    }
  }

  it("fails with jwks-unavailable when nothing listens", async () => {
    const server = new JwksServer();
    const url = await server.start();
    await server.stop();
    const token = await sign();
    await expectFailure(verifier({ jwksUrl: url }).verify(token), "jwks-unavailable", token);
  });

  it("fails with jwks-unavailable when the endpoint hangs past the timeout", async () => {
    await withServer((server) => (server.hang = true), { jwksTimeoutMs: 200 });
  });

  it("fails with jwks-unavailable on an HTTP error", async () => {
    await withServer((server) => (server.status = 503));
  });

  it("fails with jwks-unavailable on a body that is not JSON", async () => {
    await withServer((server) => (server.body = "<html>oops</html>"));
  });

  it("fails with jwks-unavailable on JSON that is not a key set", async () => {
    await withServer((server) => (server.body = JSON.stringify({ keys: "none" })));
  });
});

describe("JwtVerifier configuration", () => {
  const base: JwtVerifierOptions = {
    issuer: ISSUER,
    audience: AUDIENCE,
    jwksUrl: "https://idp/jwks",
    algorithms: ["RS256"],
  };

  it.each([
    ["no algorithms", { algorithms: [] }, /at least one algorithm/],
    ["none", { algorithms: ["RS256", "none"] }, /"none"/],
    ["NoNe", { algorithms: ["NoNe"] }, /"none"/],
    ["HS256", { algorithms: ["HS256"] }, /symmetric.*shared secret/],
    ["hs512 next to RS256", { algorithms: ["RS256", "hs512"] }, /symmetric/],
    ["an unknown algorithm", { algorithms: ["XY256"] }, /unsupported algorithm/],
    ["both jwksUrl and jwks", { jwks: { keys: [{ kty: "RSA", n: "x", e: "AQAB" }] } }, /exactly one/],
    ["neither jwksUrl nor jwks", { jwksUrl: undefined }, /exactly one/],
    ["a jwksUrl that is not a URL", { jwksUrl: "not a url" }, /not a valid URL/],
    ["a file: jwksUrl", { jwksUrl: "file:///etc/jwks.json" }, /http or https/],
    ["an empty issuer", { issuer: "" }, /issuer/],
    ["an empty audience list", { audience: [] }, /audience/],
    ["a negative skew", { clockSkewSeconds: -1 }, /clockSkewSeconds/],
    [
      "a private key in jwks",
      { jwksUrl: undefined, jwks: { keys: [{ kty: "RSA", n: "x", e: "AQAB", d: "y" }] } },
      /public keys only/,
    ],
    ["a symmetric key in jwks", { jwksUrl: undefined, jwks: { keys: [{ kty: "oct", k: "c2VjcmV0" }] } }, /symmetric/],
  ] as const)("rejects %s", (_name, overrides, message) => {
    expect(() => new JwtVerifier({ ...base, ...overrides } as JwtVerifierOptions)).toThrow(message);
  });

  it("accepts a plain asymmetric configuration without fetching anything", () => {
    expect(() => new JwtVerifier(base)).not.toThrow();
  });
});
