import type { AddressInfo } from "node:net";
import { connect } from "node:net";
import express from "express";
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { AuditTap, type AuditEvent } from "@mcp-gateway/core";
import { HARNESS_ADMIN_TOKEN, startAdminHarness, type AdminHarness } from "../testing/admin-harness";
import { auditStream } from "./audit-stream";

const tick = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `condition` (the machine may be loaded) and fails after ten seconds. */
async function waitFor(condition: () => boolean, what: string): Promise<void> {
  for (const deadline = Date.now() + 10_000; !condition(); await tick(10)) {
    if (Date.now() > deadline) throw new Error(`not within 10 s: ${what}`);
  }
}

interface Tail {
  status: number;
  events: AuditEvent[];
  stop(): void;
}

/** Opens `/audit/stream<query>` with the admin token in its header and collects the `audit` events. */
async function openTail(base: string, query = "", token = HARNESS_ADMIN_TOKEN): Promise<Tail> {
  const abort = new AbortController();
  const response = await fetch(`${base}/audit/stream${query}`, {
    headers: { authorization: `Bearer ${token}` },
    signal: abort.signal,
  });
  const events: AuditEvent[] = [];
  const tail = { status: response.status, events, stop: () => abort.abort() };
  if (response.status !== 200 || !response.body) return tail;
  const parser = createParser({
    onEvent: (message: EventSourceMessage) => {
      if (message.event === "audit") events.push(JSON.parse(message.data) as AuditEvent);
    },
  });
  const decoder = new TextDecoder();
  void (async () => {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>)
      parser.feed(decoder.decode(chunk, { stream: true }));
  })().catch(() => undefined);
  return tail;
}

describe("admin GET /audit/stream", () => {
  let harness: AdminHarness;
  const tails: Tail[] = [];
  beforeEach(async () => {
    harness = await startAdminHarness();
  });
  afterEach(async () => {
    for (const tail of tails.splice(0)) tail.stop();
    await harness.close();
  });

  it("streams the audit events recorded after it attached, without secrets", async () => {
    const tail = await openTail(harness.base);
    tails.push(tail);
    await waitFor(() => harness.auditTap.size === 1, "tail attached");
    const apiKey = await harness.register("alice");
    await waitFor(() => tail.events.length === 1, "the register event");
    expect(tail.events[0]).toMatchObject({ method: "admin/register", consumer: "alice", decision: "allowed" });
    expect(JSON.stringify(tail.events)).not.toContain(apiKey);
    expect(JSON.stringify(tail.events)).not.toContain(HARNESS_ADMIN_TOKEN);
  });

  it("applies the consumer and decision filters on the server", async () => {
    const tail = await openTail(harness.base, "?consumer=bob&decision=rejected");
    tails.push(tail);
    await waitFor(() => harness.auditTap.size === 1, "tail attached");
    await harness.register("alice");
    await harness.register("bob");
    await harness.call("POST", "/consumers", { name: "bob", policy: "default" }); // 409: bob exists
    await harness.audit.flush();
    await waitFor(() => tail.events.length === 1, "bob's rejected register");
    await harness.audit.flush();
    expect(tail.events.map((e) => [e.consumer, e.decision])).toEqual([["bob", "rejected"]]);
  });

  it.each([
    ["an unknown decision", "?decision=maybe", "filter decision must be one of"],
    ["an unknown filter", "?policy=default", "unknown filter"],
    ["a repeated filter", "?consumer=a&consumer=b", "filter consumer must be given once"],
    ["a 300-character server", `?server=${"s".repeat(300)}`, "1 to 256 characters"],
  ])("answers 400 to %s", async (_what, query, message) => {
    const answer = await harness.call("GET", `/audit/stream${query}`);
    expect(answer.status).toBe(400);
    expect(String(answer.body.error)).toContain(message);
  });

  it("wants the admin token", async () => {
    const tail = await openTail(harness.base, "", "wrong-token");
    expect(tail.status).toBe(401);
    expect(harness.auditTap.size).toBe(0);
  });

  it("answers 503 past the cap on concurrent tails", async () => {
    tails.push(await openTail(harness.base), await openTail(harness.base));
    await waitFor(() => harness.auditTap.size === 2, "two tails attached");
    const third = await openTail(harness.base);
    expect(third.status).toBe(503);
    tails[0]?.stop();
    await waitFor(() => harness.auditTap.size === 1, "a tail detached when its client left");
  });
});

describe("auditStream with a client that stops reading", () => {
  it("drops the tail once its unread bytes pass the bound", async () => {
    const tap = new AuditTap(1);
    const app = express();
    app.get("/audit/stream", auditStream(tap, { maxBufferedBytes: 64 * 1024 }));
    const server = app.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    const socket = connect((server.address() as AddressInfo).port, "127.0.0.1");
    socket.write("GET /audit/stream HTTP/1.1\r\nhost: x\r\n\r\n");
    await waitFor(() => tap.size === 1, "tail attached");
    socket.pause(); // reads nothing more: the kernel buffers fill, then the response's own buffer
    const event: AuditEvent = {
      time: new Date().toISOString(),
      consumer: "alice",
      session: null,
      method: "tools/call",
      server: "weather",
      target: "t".repeat(256),
      argsDigest: null,
      decision: "allowed",
      reason: "r".repeat(512),
      upstreamStatus: 200,
      latencyMs: 1,
      requestId: "1",
    };
    // At most 64 MiB in all; a dropped tail stops this long before.
    for (let batch = 0; batch < 64 && tap.size === 1; batch += 1) {
      await tap.write(Array.from({ length: 1000 }, () => event));
      await tick(5);
    }
    expect(tap.size).toBe(0);
    socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
});
