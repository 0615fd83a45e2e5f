import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { waitUntil } from "../testing/fixture-server";
import { endingLateSessions } from "./late-initialize";

interface Seen {
  method: string;
  session: string | undefined;
  authorization: string | undefined;
}

const INITIALIZE = JSON.stringify({ jsonrpc: "2.0", id: 0, method: "initialize", params: {} });
const LIST = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" });

describe("endingLateSessions", () => {
  let server: Server;
  let url: string;
  let seen: Seen[];
  let answerAfterMs: number;

  beforeEach(async () => {
    seen = [];
    answerAfterMs = 0;
    server = createServer((request: IncomingMessage, response) => {
      const session = request.headers["mcp-session-id"];
      seen.push({
        method: request.method ?? "",
        session: typeof session === "string" ? session : undefined,
        authorization: request.headers.authorization,
      });
      request.resume();
      setTimeout(() => {
        if (request.method === "POST") response.setHeader("mcp-session-id", "opened-1");
        response.writeHead(200, { "content-type": "application/json" }).end("{}");
      }, answerAfterMs);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}/mcp`;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const post = (body: string, signal: AbortSignal): RequestInit => ({
    method: "POST",
    body,
    headers: new Headers({ authorization: "Bearer upstream-token", "content-type": "application/json" }),
    signal,
  });

  it("ends the session an initialize names when its answer arrives after the caller gave up", async () => {
    answerAfterMs = 300;
    const caller = new AbortController();
    const pending = endingLateSessions(fetch, 2_000)(url, post(INITIALIZE, caller.signal));
    caller.abort(new Error("request timed out"));
    await expect(pending).rejects.toThrow("request timed out");
    await waitUntil(() => seen.some((s) => s.method === "DELETE"), "the late session's DELETE");
    expect(seen).toEqual([
      { method: "POST", session: undefined, authorization: "Bearer upstream-token" },
      { method: "DELETE", session: "opened-1", authorization: "Bearer upstream-token" },
    ]);
  });

  it("hands an initialize answered in time to the caller and ends nothing", async () => {
    const caller = new AbortController();
    const response = await endingLateSessions(fetch, 2_000)(url, post(INITIALIZE, caller.signal));
    expect(response.headers.get("mcp-session-id")).toBe("opened-1");
    await response.text();
    caller.abort();
    // Time for a wrongly sent DELETE to arrive: then the list would hold it.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(seen.map((s) => s.method)).toEqual(["POST"]);
  });

  it("aborts any other request as the caller asks, and ends nothing", async () => {
    answerAfterMs = 300;
    const caller = new AbortController();
    const pending = endingLateSessions(fetch, 2_000)(url, post(LIST, caller.signal));
    await waitUntil(() => seen.length === 1, "the request to arrive");
    caller.abort(new Error("gave up"));
    await expect(pending).rejects.toThrow("gave up");
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(seen.map((s) => s.method)).toEqual(["POST"]);
  });
});
