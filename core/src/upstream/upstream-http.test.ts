import type { IncomingHttpHeaders, RequestListener } from "node:http";
import { GatewayError, JsonRpcErrorCode } from "../errors";
import { freePort, listenFixture, readBody, type FixtureServer } from "../testing/fixture-server";
import { createLogger } from "../logging";
import { failureKind } from "./upstream-failure";
import { UpstreamHttp, type UpstreamTarget } from "./upstream-http";

const CALL = { jsonrpc: "2.0", id: 5, method: "tools/call", params: { name: "t", arguments: {} } };

interface Seen {
  method: string | undefined;
  headers: IncomingHttpHeaders;
  body: string;
}

describe("UpstreamHttp", () => {
  const http = new UpstreamHttp();
  let server: FixtureServer | undefined;
  let seen: Seen[];

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  afterAll(async () => {
    await http.close();
  });

  /** An upstream that records each request and then lets `reply` answer it (or not). */
  async function upstream(reply: RequestListener): Promise<UpstreamTarget> {
    seen = [];
    server = await listenFixture((req, res) => {
      void readBody(req).then((body) => {
        seen.push({ method: req.method, headers: req.headers, body });
        reply(req, res);
      });
    });
    return { name: "up", url: server.url, headers: { authorization: "Bearer upstream-token" } };
  }

  const reply =
    (status: number, contentType: string, body: string, headers: Record<string, string> = {}): RequestListener =>
    (_req, res) => {
      res.writeHead(status, { "content-type": contentType, ...headers });
      res.end(body);
    };

  it("reads a JSON reply and the upstream session id", async () => {
    const answer = { jsonrpc: "2.0", id: 5, result: { ok: true } };
    const target = await upstream(reply(200, "application/json", JSON.stringify(answer), { "mcp-session-id": "s9" }));
    expect(await http.post(target, CALL, { timeoutMs: 2_000 })).toEqual({
      status: 200,
      sessionId: "s9",
      message: answer,
    });
  });

  it("picks the event answering the request's id out of an SSE reply", async () => {
    const answer = { jsonrpc: "2.0", id: 5, result: { ok: true } };
    const stream = [
      ": keep-alive",
      "",
      `event: message\ndata: ${JSON.stringify({ jsonrpc: "2.0", method: "notifications/progress", params: {} })}`,
      "",
      `data: ${JSON.stringify({ jsonrpc: "2.0", id: 4, result: {} })}`,
      "",
      "data: not json",
      "",
      `id: e1\ndata: ${JSON.stringify(answer)}`,
      "",
      "",
    ].join("\n");
    const target = await upstream(reply(200, "text/event-stream", stream));
    expect((await http.post(target, CALL, { timeoutMs: 2_000 })).message).toEqual(answer);
  });

  it("reports no message when the reply answers another id", async () => {
    const target = await upstream(reply(200, "application/json", JSON.stringify({ jsonrpc: "2.0", id: 6 })));
    expect((await http.post(target, CALL, { timeoutMs: 2_000 })).message).toBeUndefined();
  });

  it("sends the configured headers, the MCP headers and the message", async () => {
    const target = await upstream(reply(202, "text/plain", ""));
    const sent = await http.post(target, CALL, { sessionId: "s1", protocolVersion: "2025-06-18", timeoutMs: 2_000 });
    expect(sent).toEqual({ status: 202, sessionId: undefined, message: undefined });
    expect(seen[0]?.headers).toMatchObject({
      authorization: "Bearer upstream-token",
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-session-id": "s1",
      "mcp-protocol-version": "2025-06-18",
    });
    expect(JSON.parse(seen[0]?.body ?? "")).toEqual(CALL);
  });

  it.each<[string, RequestListener]>([
    ["sends nothing", () => undefined],
    [
      "sends headers but never the event",
      (_req, res) => {
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.write(": started\n\n");
      },
    ],
  ])("fails with UpstreamTimeout (504) naming the upstream when it %s", async (_case, hang) => {
    const target = await upstream(hang);
    const started = Date.now();
    const error = await http.post(target, CALL, { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(3_000); // 200 ms bound vs a hang: generous on a loaded machine
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({
      code: JsonRpcErrorCode.UpstreamTimeout,
      httpStatus: 504,
      message: 'upstream "up" did not answer within 200 ms',
    });
  });

  it("fails with UpstreamUnavailable (502) naming the upstream and the failure, never its address", async () => {
    const port = await freePort();
    const target = { name: "gone", url: `http://127.0.0.1:${port}/mcp`, headers: {} };
    const error = await http.post(target, CALL, { timeoutMs: 2_000 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: JsonRpcErrorCode.UpstreamUnavailable, httpStatus: 502 });
    expect((error as GatewayError).message).toBe('upstream "gone" is unreachable (connection refused)');
    expect((error as GatewayError).message).not.toContain(String(port));
  });

  it("logs the detail of a failed call (the upstream's origin included, never its credentials) for the operator", async () => {
    const lines: string[] = [];
    const logged = new UpstreamHttp({ logger: createLogger({ sink: { write: (line: string) => lines.push(line) } }) });
    const port = await freePort();
    const target = { name: "gone", url: `http://user:s3cret@127.0.0.1:${port}/mcp?token=s3cret`, headers: {} };
    await logged.post(target, CALL, { timeoutMs: 2_000 }).catch(() => undefined);
    await logged.close();
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? "{}")).toMatchObject({
      server: "gone",
      upstream: `http://127.0.0.1:${port}`,
      code: "ECONNREFUSED",
    });
    expect(lines[0]).not.toContain("s3cret");
  });

  it.each([
    ["ENOTFOUND", "host name not resolved"],
    ["ECONNRESET", "connection reset"],
    ["DEPTH_ZERO_SELF_SIGNED_CERT", "TLS failure"],
    ["SOMETHING_NEW", "request failed"],
  ])("describes an error coded %s as %j", (code, kind) => {
    const error = Object.assign(new Error(`getaddrinfo ${code} internal.example 10.1.2.3:443`), { code });
    expect(failureKind(error)).toBe(kind);
    expect(failureKind(new TypeError("fetch failed", { cause: error }))).toBe(kind);
  });

  it("refuses a reply over 4 MiB", async () => {
    const target = await upstream(reply(200, "application/json", "x".repeat(5 * 1024 * 1024)));
    const error = await http.post(target, CALL, { timeoutMs: 5_000 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: JsonRpcErrorCode.UpstreamUnavailable, httpStatus: 502 });
    expect((error as GatewayError).message).toContain("reply larger than 4194304 bytes");
  });

  it("forwards a body with the given headers and buffers the whole reply", async () => {
    const target = await upstream(reply(200, "text/event-stream", "data: {}\n\n", { "mcp-session-id": "s2" }));
    const body = Buffer.from(JSON.stringify(CALL));
    const forwarded = await http.forward(target, { "content-type": "application/json", "x-extra": "1" }, body, 2_000);
    expect(forwarded.status).toBe(200);
    expect(forwarded.headers).toMatchObject({ "content-type": "text/event-stream", "mcp-session-id": "s2" });
    expect(forwarded.body.toString()).toBe("data: {}\n\n");
    expect(seen[0]).toMatchObject({ method: "POST", body: body.toString() });
    expect(seen[0]?.headers).toMatchObject({ "x-extra": "1", "content-length": String(body.length) });
  });

  it("ends a session with DELETE, sending the session id and the configured headers", async () => {
    const target = await upstream(reply(200, "text/plain", ""));
    expect(await http.deleteSession(target, "s3", 2_000)).toBe(200);
    expect(seen[0]).toMatchObject({ method: "DELETE" });
    expect(seen[0]?.headers).toMatchObject({ "mcp-session-id": "s3", authorization: "Bearer upstream-token" });
  });

  it("reports an unreachable upstream's DELETE as undefined instead of throwing", async () => {
    const target = { name: "gone", url: `http://127.0.0.1:${await freePort()}/mcp`, headers: {} };
    expect(await http.deleteSession(target, "s3", 2_000)).toBeUndefined();
  });
});
