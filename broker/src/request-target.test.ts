import { request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import parseurl from "parseurl";
import { createBoundedServer } from "./http-server";
import { requestTargetError } from "./request-target";

/** What Express's `request.path` is for a target: parseurl's pathname (Express's own parser). */
const expressPath = (target: string): string | null =>
  parseurl({ url: target } as Parameters<typeof parseurl>[0])?.pathname ?? null;

/** The path as sent: the target up to its query. */
const pathAsSent = (target: string): string => target.split("?")[0] ?? "";

describe("requestTargetError", () => {
  it("admits origin-form targets", () => {
    for (const target of ["/mcp", "/mcp/weather", "/mcp?x=1", "/.well-known/oauth-protected-resource/mcp", "/%20a"])
      expect(requestTargetError(target)).toBeUndefined();
  });

  it.each([
    ["http://gw.example/mcp/weather", "origin form"],
    ["*", "origin form"],
    ["mcp", "origin form"],
    ["/mcp/weather#x", "fragment"],
    ["/mcp/weather\t", "visible ASCII"],
    ["/mcp/weather\u00a0", "visible ASCII"],
    ["/mcp/\ufeffweather", "visible ASCII"],
    ["/mcp weather", "visible ASCII"],
  ])("refuses %j, naming the problem", (target, named) => {
    expect(requestTargetError(target)).toContain(named);
  });

  // Differential against the peer's parser: every target admitted is read by Express exactly as sent, so the
  // endpoint, the audience and forwarding (which read the target as sent) agree with Express's routing.
  it("admits only targets whose Express path is the path as sent", () => {
    const chars = fc.constantFrom(..."/mcp?#%:@.-_~!$&'()*+,;=\t\n\r \u00a0\ufeffaZ09\\\"<>{}|^`".split(""));
    fc.assert(
      fc.property(fc.string({ unit: chars, maxLength: 24 }), fc.webUrl(), (raw, url) => {
        for (const target of [raw, `/${raw}`, url, `/mcp${raw}`]) {
          if (requestTargetError(target) === undefined) expect(expressPath(target)).toBe(pathAsSent(target));
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe("a bounded server", () => {
  let server: Server;
  let port: number;
  const reached: string[] = [];

  beforeAll(async () => {
    server = createBoundedServer(
      (request, response) => {
        reached.push(request.url ?? "");
        response.end("ok");
      },
      { requestTimeoutMs: 5_000 },
    );
    await new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((closed) => server.close(() => closed())));

  const post = (path: string) =>
    new Promise<{ status: number; body: string }>((answered, failed) => {
      const outgoing = httpRequest({ host: "127.0.0.1", port, method: "POST", path }, (response) => {
        let body = "";
        response.on("data", (chunk: Buffer) => (body += chunk.toString()));
        response.on("end", () => answered({ status: response.statusCode ?? 0, body }));
      });
      outgoing.on("error", failed);
      outgoing.end("{}");
    });

  it("answers 400 with a JSON-RPC error before its listener for an absolute-form or fragment target", async () => {
    for (const path of ["http://gw.example/mcp/weather", "/mcp/weather#x"]) {
      const answer = await post(path);
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.body)).toEqual({
        jsonrpc: "2.0",
        id: null,
        error: { code: -32600, message: expect.stringMatching(/^bad request: the request target must/) },
      });
    }
    expect(reached).toEqual([]);
    await expect(post("/mcp/weather")).resolves.toEqual({ status: 200, body: "ok" });
    expect(reached).toEqual(["/mcp/weather"]);
  });
});
