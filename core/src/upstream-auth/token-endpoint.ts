import { request } from "undici";
import { GatewayError, JsonRpcErrorCode } from "../errors";

/** A token endpoint's client (client_secret_basic, RFC 6749 §2.3.1). */
export interface TokenClient {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
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

/** A token endpoint failure, naming the server and never the secrets it was sent. */
export function tokenError(server: string, reason: string, cause?: unknown): GatewayError {
  return new GatewayError(
    JsonRpcErrorCode.UpstreamUnavailable,
    `upstream "${server}": no access token could be obtained (${reason})`,
    { httpStatus: 502, cause },
  );
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
  const basic = Buffer.from(`${formEncode(client.clientId)}:${formEncode(client.clientSecret)}`).toString("base64");
  const started = Date.now();
  let status: number;
  let text: string;
  try {
    const response = await request(client.tokenUrl, {
      method: "POST",
      headers: {
        authorization: `Basic ${basic}`,
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
    throw tokenError(server, `token endpoint answered ${status} ${code}`);
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
