import * as grpc from "@grpc/grpc-js";
import { answerFor, phaseOf, passThrough, type ProcessorHandler } from "./fake-processor";
import { jsonUpstream, startTestBed, type TestBed } from "./test-bed";

let bed: TestBed;

beforeEach(async () => {
  bed = await startTestBed({
    upstreams: { mcp_broker: jsonUpstream("broker") },
    routes: [{ prefix: "/", cluster: "mcp_broker" }],
    messageTimeout: "0.2s",
  });
});

afterEach(() => bed.close());

const upstreamCalls = () => bed.upstreams.mcp_broker?.requests.length;

/** Handles `phase` specially, passes every other phase through. */
function onPhase(phase: string, handler: ProcessorHandler): ProcessorHandler {
  return (message, stream) => (phaseOf(message) === phase ? handler(message, stream) : passThrough(message, stream));
}

describe("Envoy fact: ext_proc failures fail closed", () => {
  it.each(["POST", "GET"])("answers 500 when the processor answers request_headers twice (%s)", async (method) => {
    bed.processor.setHandler(
      onPhase("request_headers", (_m, stream) => {
        stream.answer(answerFor("request_headers"));
        stream.answer(answerFor("request_headers"));
      }),
    );
    const res = await bed.send({ method });
    expect(res.status).toBe(500);
    expect((await bed.routes()).at(-1)?.details).toMatch(/^spurious_message/);
  });

  it("answers 500 when the answer is for the wrong phase", async () => {
    bed.processor.setHandler(onPhase("request_headers", (_m, stream) => stream.answer(answerFor("request_body"))));
    expect((await bed.send()).status).toBe(500);
    expect(upstreamCalls()).toBe(0);
  });

  it("answers 500 when the answer carries no response at all", async () => {
    bed.processor.setHandler(onPhase("request_body", (_m, stream) => stream.answer({})));
    expect((await bed.send()).status).toBe(500);
    expect(upstreamCalls()).toBe(0);
  });

  it.each(["request_headers", "request_body"])(
    "answers 504 when %s gets no answer within message_timeout",
    async (phase) => {
      bed.processor.setHandler(onPhase(phase, () => undefined));
      const started = Date.now();
      const res = await bed.send();
      expect(res.status).toBe(504);
      expect(Date.now() - started).toBeGreaterThanOrEqual(190);
      expect(upstreamCalls()).toBe(0);
    },
  );

  it("answers 504 when response_headers gets no answer, discarding the upstream response", async () => {
    bed.processor.setHandler(onPhase("response_headers", () => undefined));
    const res = await bed.send();
    expect(res.status).toBe(504);
    expect(upstreamCalls()).toBe(1);
  });

  it("answers 500 when the processor ends the stream with a gRPC error", async () => {
    bed.processor.setHandler((_m, stream) => stream.fail(grpc.status.INTERNAL, "boom"));
    const res = await bed.send();
    expect(res.status).toBe(500);
    expect((await bed.routes()).at(-1)?.details).toMatch(/^ext_proc_error_gRPC_error_13\{boom/);
    expect(upstreamCalls()).toBe(0);
  });

  it("answers 500 when the processor is unreachable", async () => {
    await bed.processor.close();
    const res = await bed.send();
    expect(res.status).toBe(500);
    expect((await bed.routes()).at(-1)?.details).toMatch(/^ext_proc_error_gRPC_error_14/);
  });

  it("continues without processing when the processor closes the stream cleanly", async () => {
    bed.processor.setHandler((_m, stream) => stream.end());
    const res = await bed.send();
    expect(res.status).toBe(200);
    expect(upstreamCalls()).toBe(1);
    expect(bed.processor.streams[0]?.received.map(phaseOf)).toEqual(["request_headers"]);
  });

  it("opens one stream per HTTP request", async () => {
    await bed.send();
    await bed.send({ method: "GET" });
    expect(bed.processor.streams).toHaveLength(2);
  });

  it("ignores answers that arrive after the last message was answered", async () => {
    bed.processor.setHandler(
      onPhase("response_headers", (_m, stream) => {
        stream.answer(answerFor("response_headers"));
        stream.answer(answerFor("response_headers"));
      }),
    );
    expect((await bed.send()).status).toBe(200);
  });

  it("ignores override_message_timeout when max_message_timeout is not configured", async () => {
    bed.processor.setHandler(
      onPhase("request_headers", (_m, stream) => {
        stream.answer({ override_message_timeout: { seconds: 2 } });
        setTimeout(() => stream.answer(answerFor("request_headers")), 400);
      }),
    );
    expect((await bed.send()).status).toBe(504);
  });

  it("extends the message timer once with override_message_timeout up to max_message_timeout", async () => {
    await bed.close();
    bed = await startTestBed({
      upstreams: { mcp_broker: jsonUpstream("broker") },
      routes: [{ prefix: "/", cluster: "mcp_broker" }],
      messageTimeout: "0.2s",
      maxMessageTimeout: "2s",
    });
    bed.processor.setHandler(
      onPhase("request_headers", (_m, stream) => {
        stream.answer({ override_message_timeout: { seconds: 1 } });
        setTimeout(() => stream.answer(answerFor("request_headers")), 400);
      }),
    );
    expect((await bed.send()).status).toBe(200);
  });
});
