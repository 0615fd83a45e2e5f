import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeProtectedHeader, exportPKCS8, generateKeyPair, jwtVerify, type KeyLike } from "jose";
import { GatewayError } from "../errors";
import { clientAssertion } from "./client-assertion";

const CLIENT = { tokenUrl: "https://idp.example.com/token", clientId: "mcp-gateway" };

let publicKey: KeyLike;
let pem: string;

beforeAll(async () => {
  const pair = await generateKeyPair("ES256", { extractable: true });
  publicKey = pair.publicKey;
  pem = await exportPKCS8(pair.privateKey);
});

describe("clientAssertion (private_key_jwt)", () => {
  it("signs iss = sub = client id, aud = token endpoint, a short lifetime and the kid", async () => {
    const auth = { method: "private_key_jwt" as const, privateKey: pem, keyId: "gw-1", alg: "ES256" as const };
    const assertion = await clientAssertion("crm", CLIENT, auth);
    const { payload } = await jwtVerify(assertion, publicKey, { issuer: "mcp-gateway", audience: CLIENT.tokenUrl });
    expect(payload.sub).toBe("mcp-gateway");
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBeLessThanOrEqual(60);
    expect(decodeProtectedHeader(assertion)).toEqual({ alg: "ES256", kid: "gw-1" });
  });

  it("gives every assertion its own jti", async () => {
    const auth = { method: "private_key_jwt" as const, privateKey: pem, alg: "ES256" as const };
    const ids = await Promise.all(
      [1, 2, 3].map(async () => (await jwtVerify(await clientAssertion("crm", CLIENT, auth), publicKey)).payload.jti),
    );
    expect(new Set(ids).size).toBe(3);
  });

  it("reads the key from privateKeyFile on each request", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "pkjwt-")), "key.pem");
    writeFileSync(file, pem, { mode: 0o600 });
    const auth = { method: "private_key_jwt" as const, privateKeyFile: file, alg: "ES256" as const };
    await expect(jwtVerify(await clientAssertion("crm", CLIENT, auth), publicKey)).resolves.toBeDefined();
  });

  it.each([
    [
      "an unreadable file",
      { privateKeyFile: "/nonexistent/key.pem" },
      /upstream "crm".*privateKeyFile could not be read \(ENOENT\)/,
    ],
    [
      "a key for another algorithm",
      { privateKey: "the ES256 key" },
      /upstream "crm".*privateKey is not a PKCS#8 PEM private key for RS256/,
    ],
  ])("fails with an error naming the server for %s, without the key", async (_label, key, message) => {
    const auth = {
      method: "private_key_jwt" as const,
      alg: "RS256" as const,
      // The ES256 key is only known once beforeAll ran.
      ...("privateKey" in key ? { privateKey: pem } : key),
    };
    const error = await clientAssertion("crm", CLIENT, auth).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).message).toMatch(message);
    expect(JSON.stringify(error)).not.toContain(pem.slice(40, 80));
    expect((error as GatewayError).cause).toBeUndefined();
  });
});
