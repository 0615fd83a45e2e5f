import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { importPKCS8, SignJWT } from "jose";
import type { ClientAuthConfig } from "../config/upstream-auth-schema";
import { tokenError } from "./token-endpoint-error";

/** RFC 7523 §2.2: the `client_assertion_type` of a JWT client assertion. */
export const JWT_BEARER_ASSERTION = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/** How long an assertion is valid: one token request, with room for a loaded machine and clock skew. */
const ASSERTION_LIFETIME_S = 60;

/** The config field the key came from, for errors. */
function keyField(auth: ClientAuthConfig): string {
  return auth.privateKey === undefined ? "clientAuth.privateKeyFile" : "clientAuth.privateKey";
}

type SigningKey = Awaited<ReturnType<typeof importPKCS8>>;

/** The signing key: read and imported per token request, so a rotated key file takes effect without a reload. */
async function signingKey(server: string, auth: ClientAuthConfig): Promise<SigningKey> {
  let pem: string;
  try {
    pem = auth.privateKey ?? (await readFile(auth.privateKeyFile ?? "", "utf8"));
  } catch (error: unknown) {
    // The error names only the file's path and the failure code (ENOENT, EACCES), never its content.
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    throw tokenError(server, `clientAuth.privateKeyFile could not be read (${code})`);
  }
  try {
    return await importPKCS8(pem, auth.alg);
  } catch {
    // No cause: jose's message could quote part of the key.
    throw tokenError(server, `${keyField(auth)} is not a PKCS#8 PEM private key for ${auth.alg}`);
  }
}

/**
 * A fresh client assertion for one request to `tokenUrl` (RFC 7523 §3, OIDC Core §9): `iss` = `sub` = the client id,
 * `aud` = the token endpoint, a unique `jti`, issued now and expiring a minute later, signed with the client's key.
 */
export async function clientAssertion(
  server: string,
  client: { tokenUrl: string; clientId: string },
  auth: ClientAuthConfig,
): Promise<string> {
  const key = await signingKey(server, auth);
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({})
    .setProtectedHeader(auth.keyId === undefined ? { alg: auth.alg } : { alg: auth.alg, kid: auth.keyId })
    .setIssuer(client.clientId)
    .setSubject(client.clientId)
    .setAudience(client.tokenUrl)
    .setJti(randomUUID())
    .setIssuedAt(now)
    .setExpirationTime(now + ASSERTION_LIFETIME_S);
  try {
    return await jwt.sign(key);
  } catch {
    // jose imports some keys for any algorithm and refuses only when signing: the same error, and no cause either.
    throw tokenError(server, `${keyField(auth)} is not a PKCS#8 PEM private key for ${auth.alg}`);
  }
}
