import * as http from "node:http";
import { answerFor, phaseOf, rawHeader, scripted, streamEnded } from "./fake-processor";
import type { ProcessingResponse } from "./ext-proc-messages";
import {
  eventually,
  jsonUpstream,
  startTestBed,
  statusAndDetails,
  type TestBed,
  type UpstreamHandler,
} from "./test-bed";

let bed: TestBed;
let releaseStream: (() => void) | undefined;

/** An SSE upstream that sends one event, then waits for the test to release the rest. */
const sseUpstream: UpstreamHandler = (_req, res) => {
  res.writeHead(200, { "content-type": "text/event-stream", "x-upstream-secret": "s", "mcp-session-id": "backend-1" });
  res.write('event: message\ndata: {"n":1}\n\n');
  releaseStream = () => res.end('event: message\ndata: {"n":2}\n\n');
};

beforeEach(async () => {
  bed = await startTestBed({
    upstreams: { mcp_broker: jsonUpstream("broker"), sse: sseUpstream },
    routes: [
      { prefix: "/sse", cluster: "sse" },
      { prefix: "/", cluster: "mcp_broker" },
    ],
  });
});

afterEach(async () => {
  releaseStream?.();
  releaseStream = undefined;
  await bed.close();
});

const forbidden: ProcessingResponse = {
  immediate_response: {
    status: { code: 403 },
    headers: { set_headers: [rawHeader("content-type", "application/json"), rawHeader("x-reason", "policy")] },
    body: Buffer.from('{"jsonrpc":"2.0","id":1,"error":{"code":-32001,"message":"denied"}}'),
    details: "policy_denied",
  },
};

describe("Envoy fact: immediate responses", () => {
  it.each(["request_headers", "request_body"] as const)(
    "passes an immediate response in %s through to the client",
    async (phase) => {
      bed.processor.setHandler(scripted({ [phase]: forbidden }));
      const res = await bed.send();
      expect(res.status).toBe(403);
      expect(res.headers["content-type"]).toBe("application/json");
      expect(res.headers["x-reason"]).toBe("policy");
      expect(res.headers["content-length"]).toBe(String(res.body.length));
      expect(JSON.parse(res.body)).toMatchObject({ error: { code: -32001 } });
      expect(bed.upstreams.mcp_broker?.requests).toHaveLength(0);
      expect(statusAndDetails(await bed.routes())).toEqual([{ status: 403, details: "policy_denied" }]);
      await eventually(() => streamEnded(bed.processor.streams[0]));
    },
  );

  it("replaces the upstream response with an immediate response in response_headers", async () => {
    bed.processor.setHandler(scripted({ response_headers: forbidden }));
    const res = await bed.send();
    expect(res.status).toBe(403);
    expect(res.body).toContain("denied");
    expect(bed.upstreams.mcp_broker?.requests).toHaveLength(1);
  });

  it("applies Envoy's header rules to immediate responses: value-only headers are empty, text/plain by default", async () => {
    bed.processor.setHandler(
      scripted({
        request_headers: {
          immediate_response: {
            status: { code: "NotFound" },
            headers: { set_headers: [{ header: { key: "x-value-only", value: "lost" } }] },
            body: Buffer.from("gone"),
          },
        },
      }),
    );
    const res = await bed.send();
    expect(res.status).toBe(404);
    expect(res.headers["x-value-only"]).toBe("");
    expect(res.headers["content-type"]).toBe("text/plain");
    expect(res.body).toBe("gone");
  });

  it("uses 200 for an immediate response without a status", async () => {
    bed.processor.setHandler(scripted({ request_headers: { immediate_response: { body: Buffer.from("{}") } } }));
    expect((await bed.send()).status).toBe(200);
  });
});

describe("Envoy fact: response phase", () => {
  it("sends response_headers with :status first and applies its header mutation", async () => {
    bed.processor.setHandler(
      scripted({
        response_headers: answerFor("response_headers", {
          header_mutation: {
            set_headers: [rawHeader("mcp-session-id", "gateway-1")],
            remove_headers: ["x-upstream-secret"],
          },
        }),
      }),
    );
    const pending = bed.send({ path: "/sse" });
    await eventually(() => releaseStream !== undefined);
    releaseStream?.();
    const res = await pending;
    const message = bed.processor.streams[0]?.received.find((m) => phaseOf(m) === "response_headers");
    expect(message?.response_headers?.headers?.headers?.[0]).toEqual({ key: ":status", raw_value: Buffer.from("200") });
    expect(message?.response_headers?.end_of_stream).not.toBe(true);
    expect(res.headers["mcp-session-id"]).toBe("gateway-1");
    expect(res.headers["x-upstream-secret"]).toBeUndefined();
  });

  it("streams an SSE response: the client gets the first event before the upstream ends", async () => {
    const firstChunk = await new Promise<string>((resolve, reject) => {
      const req = http.request(`${bed.envoy.url}/sse`, { method: "GET", agent: false }, (res) => {
        res.once("data", (chunk: Buffer) => resolve(chunk.toString()));
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end();
    });
    expect(firstChunk).toBe('event: message\ndata: {"n":1}\n\n');
    expect(releaseStream).toBeDefined(); // the upstream is still open
  });

  it("relays the whole SSE stream unchanged", async () => {
    const pending = bed.send({ path: "/sse", method: "GET" });
    await eventually(() => releaseStream !== undefined);
    releaseStream?.();
    const res = await pending;
    expect(res.headers["content-type"]).toBe("text/event-stream");
    expect(res.body).toBe('event: message\ndata: {"n":1}\n\nevent: message\ndata: {"n":2}\n\n');
  });

  it("lets the processor change the response :status", async () => {
    bed.processor.setHandler(
      scripted({
        response_headers: answerFor("response_headers", {
          header_mutation: { set_headers: [rawHeader(":status", "202")] },
        }),
      }),
    );
    expect((await bed.send()).status).toBe(202);
  });
});

describe("Envoy fact: mode_override", () => {
  it("applies an allowed mode_override: request_body_mode NONE skips the body message but forwards the body", async () => {
    bed.processor.setHandler(
      scripted({
        request_headers: {
          ...answerFor("request_headers"),
          mode_override: { request_body_mode: "NONE", response_header_mode: "SKIP" },
        },
      }),
    );
    const res = await bed.send({ body: '{"x":1}' });
    expect(res.status).toBe(200);
    expect(bed.upstreams.mcp_broker?.requests[0]?.body).toBe('{"x":1}');
    expect(bed.processor.streams[0]?.received.map(phaseOf)).toEqual(["request_headers"]);
  });

  it("treats an absent request_body_mode in a mode_override as NONE, as Envoy does", async () => {
    bed.processor.setHandler(
      scripted({
        request_headers: { ...answerFor("request_headers"), mode_override: { response_header_mode: "SEND" } },
      }),
    );
    await bed.send();
    expect(bed.processor.streams[0]?.received.map(phaseOf)).toEqual(["request_headers", "response_headers"]);
  });

  it("ignores a mode_override when allow_mode_override is false", async () => {
    await bed.close();
    bed = await startTestBed({
      upstreams: { mcp_broker: jsonUpstream("broker") },
      routes: [{ prefix: "/", cluster: "mcp_broker" }],
      allowModeOverride: false,
    });
    bed.processor.setHandler(
      scripted({ request_headers: { ...answerFor("request_headers"), mode_override: { request_body_mode: "NONE" } } }),
    );
    await bed.send();
    expect(bed.processor.streams[0]?.received.map(phaseOf)).toEqual([
      "request_headers",
      "request_body",
      "response_headers",
    ]);
  });
});

describe("Envoy fact: STREAMED response body through a mode_override", () => {
  const streamed = (transform: (body: string, endOfStream: boolean) => string | undefined) =>
    scripted({
      response_headers: { ...answerFor("response_headers"), mode_override: { response_body_mode: "STREAMED" } },
      response_body: (message) => {
        const body = Buffer.from(message.response_body?.body ?? Buffer.alloc(0)).toString();
        const out = transform(body, message.response_body?.end_of_stream === true);
        return answerFor("response_body", out === undefined ? {} : { body_mutation: { body: Buffer.from(out) } });
      },
    });

  it("sends each upstream chunk to the processor and the client gets the mutated bytes", async () => {
    // The last chunk may carry data too (a loaded machine can deliver the events and the end as one chunk).
    bed.processor.setHandler(streamed((body, end) => body.toUpperCase() + (end ? "[end]" : "")));
    const pending = bed.send({ path: "/sse", method: "GET" });
    await eventually(() => releaseStream !== undefined);
    releaseStream?.();
    const res = await pending;
    expect(res.body).toBe('EVENT: MESSAGE\nDATA: {"N":1}\n\nEVENT: MESSAGE\nDATA: {"N":2}\n\n[end]');
    expect(res.headers["content-length"]).toBeUndefined();
    const phases = bed.processor.streams[0]?.received.map(phaseOf) ?? [];
    expect(phases.slice(0, 3)).toEqual(["request_headers", "response_headers", "response_body"]);
    expect(phases.at(-1)).toBe("response_body");
  });

  it("passes a chunk through unchanged when the answer has no body mutation", async () => {
    bed.processor.setHandler(streamed(() => undefined));
    const pending = bed.send({ path: "/sse", method: "GET" });
    await eventually(() => releaseStream !== undefined);
    releaseStream?.();
    expect((await pending).body).toBe('event: message\ndata: {"n":1}\n\nevent: message\ndata: {"n":2}\n\n');
  });

  it("resets the client's stream when a body answer does not come (headers already sent)", async () => {
    bed.processor.setHandler((message, stream) => {
      if (phaseOf(message) === "response_headers") {
        stream.answer({ ...answerFor("response_headers"), mode_override: { response_body_mode: "STREAMED" } });
      } else if (phaseOf(message) !== "response_body") {
        stream.answer(answerFor(phaseOf(message)));
      }
    });
    await expect(bed.send({ path: "/sse", method: "GET" })).rejects.toThrow();
  });
});
