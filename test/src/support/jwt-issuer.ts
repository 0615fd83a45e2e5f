import { createSign, generateKeyPairSync, type KeyObject } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** A test identity provider: an RSA key pair, its JWKS served on 127.0.0.1, and RS256 token signing (node:crypto). */
export interface JwtIssuer {
  jwksUrl: string;
  issuer: string;
  /** Signs `claims` (iat/exp default to now / now + 5 min) with the served key. */
  sign(claims: Record<string, unknown>, header?: Record<string, unknown>): string;
  /** The public key, for key-confusion attacks (an HS256 token keyed with it). */
  publicKeyPem: string;
  close(): Promise<void>;
}

const b64 = (value: Buffer | string): string => Buffer.from(value).toString("base64url");

/** Starts the issuer's JWKS endpoint on a free loopback port. */
export async function startJwtIssuer(issuer = "https://idp.test"): Promise<JwtIssuer> {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const kid = "test-key-1";
  const jwk = { ...(publicKey as KeyObject).export({ format: "jwk" }), kid, alg: "RS256", use: "sig" };
  const server: Server = createServer((request, response) => {
    if (request.url === "/jwks.json")
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [jwk] }));
    else response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    jwksUrl: `http://127.0.0.1:${port}/jwks.json`,
    issuer,
    publicKeyPem: publicKey.export({ format: "pem", type: "spki" }).toString(),
    sign(claims, header = {}) {
      const now = Math.floor(Date.now() / 1000);
      const head = b64(JSON.stringify({ alg: "RS256", typ: "JWT", kid, ...header }));
      const body = b64(JSON.stringify({ iss: issuer, iat: now, exp: now + 300, ...claims }));
      const signature = createSign("RSA-SHA256").update(`${head}.${body}`).sign(privateKey);
      return `${head}.${body}.${b64(signature)}`;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
