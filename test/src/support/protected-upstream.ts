import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createPublicKey, verify, type JsonWebKey } from "node:crypto";
import { createMcpHttpApp, SessionRegistry } from "@mcp-gateway/example-kit";
import { createWeatherMcpServer } from "@mcp-gateway/example-weather";

/** One request the protected upstream saw: its method and the verified token's subject, or why it was refused. */
export interface SeenRequest {
  method: string;
  subject?: string | undefined;
  /** The token's `jti` (tells a refreshed token from the one before). */
  tokenId?: string | undefined;
  refused?: string | undefined;
  /** The request's `mcp-session-id` (none on an initialize). */
  sessionId?: string | undefined;
}

/** An MCP upstream (the weather tools) that accepts only JWT access tokens from `issuer` for `audience`. */
export interface ProtectedUpstream {
  url: string;
  readonly seen: SeenRequest[];
  /** From now on, refuse every request with 401 whatever its token (the upstream revoked the gateway's access). */
  refuseAll(): void;
  /** Refuses the next POST whose token's subject is `subject` with 401, once (the upstream revoked that one token). */
  refuseNextPost(subject: string): void;
  /** Ends every MCP session it holds: the next request naming one gets 404 (the gateway re-initializes). */
  dropSessions(): Promise<void>;
  close(): Promise<void>;
}

interface Claims {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  exp?: number;
  jti?: string;
}

/**
 * An RS256 JWT check against the issuer's JWKS with node:crypto (jose is ESM-only in this workspace, which Jest
 * cannot load): signature by the key its `kid` names, then `iss`, `aud` and `exp`; rejects with the reason.
 */
export function tokenVerifier(jwksUrl: string): (token: string, issuer: string, audience: string) => Promise<Claims> {
  return async (token, issuer, audience) => {
    const [head = "", body = "", signature = ""] = token.split(".");
    const header = JSON.parse(Buffer.from(head, "base64url").toString("utf8")) as { alg?: string; kid?: string };
    if (header.alg !== "RS256") throw new Error(`alg ${String(header.alg)} refused`);
    const { keys } = (await (await fetch(jwksUrl)).json()) as { keys: (JsonWebKey & { kid?: string })[] };
    const jwk = keys.find((key) => key.kid === header.kid);
    if (!jwk) throw new Error("unknown kid");
    const key = createPublicKey({ key: jwk, format: "jwk" });
    if (!verify("RSA-SHA256", Buffer.from(`${head}.${body}`), key, Buffer.from(signature, "base64url")))
      throw new Error("bad signature");
    const claims = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as Claims;
    if (claims.iss !== issuer) throw new Error("wrong issuer");
    const audiences = typeof claims.aud === "string" ? [claims.aud] : (claims.aud ?? []);
    if (!audiences.includes(audience)) throw new Error("wrong audience");
    if (typeof claims.exp !== "number" || claims.exp * 1000 <= Date.now()) throw new Error("expired");
    return claims;
  };
}

/** Starts a {@link ProtectedUpstream} on 127.0.0.1; tokens are verified against the issuer's JWKS. */
export async function startProtectedUpstream(options: {
  issuer: string;
  jwksUrl: string;
  /** The audience tokens must carry; defaults to the upstream's own URL. */
  audience?: string;
  port?: number;
}): Promise<ProtectedUpstream> {
  const verifyToken = tokenVerifier(options.jwksUrl);
  const sessions = new SessionRegistry(createWeatherMcpServer);
  const app = createMcpHttpApp(sessions);
  const seen: SeenRequest[] = [];
  let url = "";
  let refusing = false;
  const refuseOnce = new Set<string>();
  const server = createServer((req, res) => {
    const method = req.method ?? "";
    const sessionId = typeof req.headers["mcp-session-id"] === "string" ? req.headers["mcp-session-id"] : undefined;
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
    const refuse = (reason: string): void => {
      seen.push({ method, refused: reason });
      res
        .writeHead(401, {
          "content-type": "application/json",
          "www-authenticate": `Bearer error="invalid_token", resource_metadata="${url}/.well-known/oauth-protected-resource"`,
        })
        .end(JSON.stringify({ error: "invalid_token" }));
    };
    if (!token) return refuse("no token");
    if (refusing) return refuse("access revoked");
    verifyToken(token, options.issuer, options.audience ?? url).then(
      (payload) => {
        if (method === "POST" && refuseOnce.delete(payload.sub ?? "")) return refuse(`token ${payload.jti} revoked`);
        seen.push({ method, subject: payload.sub, tokenId: payload.jti, sessionId });
        app(req, res);
      },
      (error: unknown) => refuse((error as Error).message),
    );
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
  return {
    url,
    seen,
    refuseAll: () => (refusing = true),
    refuseNextPost: (subject) => void refuseOnce.add(subject),
    dropSessions: () => sessions.closeAll(),
    close: async () => {
      await sessions.closeAll();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
