import type { AddressInfo } from "node:net";
import express, { type Request } from "express";
import { createAccessLogWriter, GatewayError, JsonRpcErrorCode, type AccessLogRecord } from "@mcp-gateway/core";
import { createAccessLog, noteAccess, traceIdFromHeader } from "./access-log";
import { sendError } from "./http-errors";

/** Waits (bounded) for the line written when the response closed. */
async function written(lines: unknown[]): Promise<void> {
  for (let i = 0; i < 200 && lines.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
}

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";

describe("traceIdFromHeader", () => {
  it.each([
    [`00-${TRACE}-00f067aa0ba902b7-01`, TRACE],
    [`01-${TRACE}-00f067aa0ba902b7-00-future`, TRACE],
    [`00-${TRACE}-00f067aa0ba902b7-01-extra`, undefined],
    [`ff-${TRACE}-00f067aa0ba902b7-01`, undefined],
    [`00-${"0".repeat(32)}-00f067aa0ba902b7-01`, undefined],
    [`00-${TRACE.toUpperCase()}-00f067aa0ba902b7-01`, undefined],
    ["garbage", undefined],
  ])("%s", (header, expected) => {
    expect(traceIdFromHeader({ headers: { traceparent: header } } as unknown as Request)).toBe(expected);
  });
});

describe("createAccessLog", () => {
  async function serve(
    handler: express.RequestHandler,
  ): Promise<{ url: string; lines: AccessLogRecord[]; close(): void }> {
    const lines: AccessLogRecord[] = [];
    const writer = createAccessLogWriter(
      { enabled: true, destination: "stdout" },
      { write: (line: string) => lines.push(JSON.parse(line) as AccessLogRecord) },
    );
    const app = express();
    app.use(createAccessLog({ writer, sessionDigest: (id) => `hash-of-${id.length}`, requestId: () => "rid-1" }));
    app.post("/mcp", handler);
    const server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    const { port } = server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}/mcp`, lines, close: () => server.close() };
  }

  it("writes one line when a streamed response ends, with its body bytes and the noted facts", async () => {
    const app = await serve((_request, response) => {
      noteAccess(response, { method: "tools/call", id: 7, server: "a", target: "a_tool" }, "routed");
      response.status(200).setHeader("content-type", "text/event-stream");
      response.write("data: 1\n\n");
      setTimeout(() => response.end("data: é\n\n"), 50);
    });
    try {
      const response = await fetch(app.url, { method: "POST", headers: { "mcp-session-id": "s-123" }, body: "{}" });
      await response.text();
      await written(app.lines);
      expect(app.lines).toEqual([
        expect.objectContaining({
          method: "POST",
          path: "/mcp",
          response_code: 200,
          bytes_sent: 19, // 9 + 10 (é is two bytes in UTF-8)
          bytes_received: 2,
          request_id: "rid-1",
          jsonrpc_id: "7",
          mcp_method: "tools/call",
          mcp_server: "a",
          mcp_target: "a_tool",
          mcp_decision: "routed",
          mcp_session: "hash-of-5",
          trace_id: null,
        }),
      ]);
      expect(app.lines[0]?.duration_ms).toBeGreaterThanOrEqual(50);
    } finally {
      app.close();
    }
  });

  it("notes an error answer's reason; a request not yet decided was refused", async () => {
    const app = await serve((_request, response) => {
      sendError(response, new GatewayError(JsonRpcErrorCode.RateLimited, "slow down", { httpStatus: 429 }));
    });
    try {
      expect((await fetch(app.url, { method: "POST", body: "{}" })).status).toBe(429);
      await written(app.lines);
      expect(app.lines[0]).toMatchObject({ response_code: 429, mcp_decision: "refused", mcp_reason: "rate_limited" });
    } finally {
      app.close();
    }
  });
});
