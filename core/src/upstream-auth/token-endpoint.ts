import { request } from "undici";
import type { ClientAuthConfig } from "../config/upstream-auth-schema";
import { clientAssertion, JWT_BEARER_ASSERTION } from "./client-assertion";
import { tokenError } from "./token-endpoint-error";

export { tokenError } from "./token-endpoint-error";

/**
 * A token endpoint's client: client_secret_basic (RFC 6749 §2.3.1) with `clientSecret`, or private_key_jwt (RFC 7523
 * §2.2) with `clientAuth`; config validation makes it exactly one.
 */
export interface TokenClient {
  tokenUrl: string;
  clientId: string;
  clientSecret?: string | undefined;
  clientAuth?: ClientAuthConfig | undefined;
}

/** What a token endpoint granted. */
export interface Grant {
  accessToken: string;
  /** When the access token expires (ms since the epoch); a token without `expires_in` is kept for 5 minutes. */
  expiresAt: number;
  /** A new refresh token when the server rotated it. */
  refreshToken?: string | undefined;
}

const DEFAULT_LIFETIME_MS = 300_000;
const TOKEN_TIMEOUT_MS = 10_000;
const MAX_RESPONSE_BYTES = 64 * 1024;
// An OAuth error code (RFC 6749 §5.2) is safe to repeat; anything else from the body might be a secret.
const ERROR_CODE_RE = /^[\x20-\x21\x23-\x5b\x5d-\x7e]{1,64}$/;

function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, "+");
}

/** How the client authenticates one token request: an Authorization header, or assertion form parameters. */
async function authenticateClient(
  server: string,
  client: TokenClient,
  form: URLSearchParams,
): Promise<Record<string, string>> {
  if (client.clientAuth !== undefined) {
    form.set("client_id", client.clientId);
    form.set("client_assertion_type", JWT_BEARER_ASSERTION);
    form.set("client_assertion", await clientAssertion(server, client, client.clientAuth));
    return {};
  }
  const basic = Buffer.from(`${formEncode(client.clientId)}:${formEncode(client.clientSecret ?? "")}`);
  return { authorization: `Basic ${basic.toString("base64")}` };
}

/** The reason of a refusal; a refused client assertion says where to look. */
function refusalReason(client: TokenClient, status: number, code: string): string {
  const reason = `token endpoint answered ${status} ${code}`;
  return client.clientAuth !== undefined && code === "invalid_client"
    ? `${reason}: the private_key_jwt client assertion was refused; check clientAuth's key, keyId and alg against the client's registered keys`
    : reason;
}

/** POSTs one grant to `client.tokenUrl` and reads the token response (RFC 6749 §5.1). */
export async function requestGrant(
  server: string,
  client: TokenClient,
  params: Readonly<Record<string, string | readonly string[]>>,
): Promise<Grant> {
  const form = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    for (const item of typeof value === "string" ? [value] : value) form.append(name, item);
  }
  const credentials = await authenticateClient(server, client, form);
  const started = Date.now();
  let status: number;
  let text: string;
  try {
    const response = await request(client.tokenUrl, {
      method: "POST",
      headers: {
        ...credentials,
        "content-type": "application/x-www-form-urlencoded",
        accept: "application/json",
      },
      body: form.toString(),
      signal: AbortSignal.timeout(TOKEN_TIMEOUT_MS),
    });
    status = response.statusCode;
    text = await readCapped(response.body);
  } catch (error: unknown) {
    throw tokenError(server, `token endpoint unreachable: ${(error as Error).name}`, error);
  }
  const body = parseJson(text);
  if (status !== 200) {
    const code = typeof body?.["error"] === "string" && ERROR_CODE_RE.test(body["error"]) ? body["error"] : "no code";
    throw tokenError(server, refusalReason(client, status, code));
  }
  const accessToken = body?.["access_token"];
  if (typeof accessToken !== "string" || accessToken === "")
    throw tokenError(server, "token endpoint answered without an access_token");
  const expiresIn = body?.["expires_in"];
  const lifetime = typeof expiresIn === "number" && expiresIn > 0 ? expiresIn * 1000 : DEFAULT_LIFETIME_MS;
  const refreshToken = body?.["refresh_token"];
  return {
    accessToken,
    expiresAt: started + lifetime,
    refreshToken: typeof refreshToken === "string" && refreshToken !== "" ? refreshToken : undefined,
  };
}

async function readCapped(body: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > MAX_RESPONSE_BYTES) throw new Error("token response too large");
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
