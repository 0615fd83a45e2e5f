import { answerFor, phaseOf, rawHeader, scripted, streamEnded } from "./fake-processor";
import type { HttpHeaders } from "./ext-proc-messages";
import { clusterAndPath, eventually, jsonUpstream, startTestBed, type TestBed } from "./test-bed";

let bed: TestBed;

beforeEach(async () => {
  bed = await startTestBed({
    upstreams: { mcp_broker: jsonUpstream("broker") },
    routes: [{ prefix: "/", cluster: "mcp_broker" }],
  });
});

afterEach(() => bed.close());

function broker() {
  const upstream = bed.upstreams.mcp_broker;
  if (!upstream) throw new Error("no broker");
  return upstream;
}

function entries(message: HttpHeaders | undefined): Array<[string, string]> {
  return (message?.headers?.headers ?? []).map((h) => [h.key ?? "", Buffer.from(h.raw_value ?? []).toString()]);
}

describe("Envoy fact: request path", () => {
  it("passes a request through when the processor only answers CONTINUE", async () => {
    const body = JSON.stringify({ jsonrpc: "2.0", id: 7, method: "ping" });
    const res = await bed.send({ body, headers: { "content-type": "application/json" } });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ server: "broker", path: "/mcp" });
    expect(broker().requests).toHaveLength(1);
    expect(broker().requests[0]?.body).toBe(body);
    const stream = bed.processor.streams[0];
    expect(stream?.received.map(phaseOf)).toEqual(["request_headers", "request_body", "response_headers"]);
    expect(stream?.received[1]?.request_body).toEqual({ body: Buffer.from(body), end_of_stream: true });
    expect(clusterAndPath(await bed.routes())).toEqual([{ cluster: "mcp_broker", path: "/mcp" }]);
  });

  it("sends request_headers with the pseudo-headers first, lower-case keys, one entry per value, raw_value only", async () => {
    await bed.send({
      path: "/mcp?x=1",
      headers: {
        "X-Multi": ["a", "b"],
        Connection: "keep-alive",
        "Keep-Alive": "timeout=5",
        Accept: "application/json",
      },
    });
    const message = bed.processor.streams[0]?.received[0]?.request_headers;
    const headers = entries(message);
    expect(headers.slice(0, 4).sort()).toEqual([
      [":authority", `127.0.0.1:${bed.envoy.port}`],
      [":method", "POST"],
      [":path", "/mcp?x=1"],
      [":scheme", "http"],
    ]);
    expect(headers.filter(([k]) => k === "x-multi")).toEqual([
      ["x-multi", "a"],
      ["x-multi", "b"],
    ]);
    expect(headers.map(([k]) => k)).not.toEqual(expect.arrayContaining(["connection"]));
    expect(headers.map(([k]) => k)).not.toEqual(expect.arrayContaining(["keep-alive"]));
    expect(headers.map(([k]) => k)).not.toEqual(expect.arrayContaining(["host"]));
    expect(headers.every(([k]) => k === k.toLowerCase())).toBe(true);
    expect(message?.headers?.headers?.every((h) => !("value" in h))).toBe(true);
    expect(message?.end_of_stream).not.toBe(true);
  });

  it("sends end_of_stream on request_headers and no request_body for a GET without body, then ends the stream", async () => {
    const res = await bed.send({ method: "GET" });
    expect(res.status).toBe(200);
    const received = bed.processor.streams[0]?.received ?? [];
    expect(received.map(phaseOf)).toEqual(["request_headers", "response_headers"]);
    expect(received[0]?.request_headers?.end_of_stream).toBe(true);
    await eventually(() => streamEnded(bed.processor.streams[0]));
  });

  it("applies a header set with raw_value", async () => {
    bed.processor.setHandler(
      scripted({
        request_headers: answerFor("request_headers", {
          header_mutation: { set_headers: [rawHeader("x-mcp-method", "tools/call")] },
        }),
      }),
    );
    expect((await bed.send()).status).toBe(200);
    expect(broker().requests[0]?.headers["x-mcp-method"]).toBe("tools/call");
  });

  it("sets an EMPTY header when the processor uses value without raw_value", async () => {
    const setHeaders = [{ header: { key: "x-mcp-method", value: "tools/call" } }];
    bed.processor.setHandler(
      scripted({ request_headers: answerFor("request_headers", { header_mutation: { set_headers: setHeaders } }) }),
    );
    expect((await bed.send()).status).toBe(200);
    expect(broker().requests[0]?.headers["x-mcp-method"]).toBe("");
  });

  it("takes raw_value when both value and raw_value are set", async () => {
    const setHeaders = [{ header: { key: "x-mcp-method", value: "a", raw_value: Buffer.from("b") } }];
    bed.processor.setHandler(
      scripted({ request_headers: answerFor("request_headers", { header_mutation: { set_headers: setHeaders } }) }),
    );
    expect((await bed.send()).status).toBe(200);
    expect(broker().requests[0]?.headers["x-mcp-method"]).toBe("b");
  });

  it("removes headers listed in remove_headers", async () => {
    bed.processor.setHandler(
      scripted({
        request_headers: answerFor("request_headers", { header_mutation: { remove_headers: ["x-secret"] } }),
      }),
    );
    await bed.send({ headers: { "x-secret": "s", "x-kept": "k" } });
    expect(broker().requests[0]?.headers["x-secret"]).toBeUndefined();
    expect(broker().requests[0]?.headers["x-kept"]).toBe("k");
  });

  it("fails with 500 when a mutated body does not match the request's content-length", async () => {
    const body_mutation = { body: Buffer.from('{"rewritten":true,"longer":"than before"}') };
    bed.processor.setHandler(scripted({ request_body: answerFor("request_body", { body_mutation }) }));
    const res = await bed.send({ body: '{"a":1}' });
    expect(res.status).toBe(500);
    expect(broker().requests).toHaveLength(0);
    expect((await bed.routes()).at(-1)?.details).toMatch(/^mismatch_between_content_length/);
  });

  it("forwards a mutated body when the same answer sets a matching content-length", async () => {
    const rewritten = '{"rewritten":true,"longer":"than before"}';
    const answer = answerFor("request_body", {
      header_mutation: { set_headers: [rawHeader("content-length", String(Buffer.byteLength(rewritten)))] },
      body_mutation: { body: Buffer.from(rewritten) },
    });
    bed.processor.setHandler(scripted({ request_body: answer }));
    expect((await bed.send({ body: '{"a":1}' })).status).toBe(200);
    expect(broker().requests[0]?.body).toBe(rewritten);
    expect(broker().requests[0]?.headers["content-length"]).toBe(String(Buffer.byteLength(rewritten)));
  });

  it("forwards a mutated body chunked when content-length was removed", async () => {
    bed.processor.setHandler(
      scripted({
        request_headers: answerFor("request_headers", { header_mutation: { remove_headers: ["content-length"] } }),
        request_body: answerFor("request_body", { body_mutation: { body: Buffer.from("longer body than before") } }),
      }),
    );
    expect((await bed.send({ body: "short" })).status).toBe(200);
    expect(broker().requests[0]?.body).toBe("longer body than before");
    expect(broker().requests[0]?.headers["transfer-encoding"]).toBe("chunked");
  });

  it("applies header mutations carried by a request_body answer (BUFFERED mode)", async () => {
    bed.processor.setHandler(
      scripted({
        request_body: answerFor("request_body", {
          header_mutation: { set_headers: [rawHeader("x-from-body", "yes")] },
        }),
      }),
    );
    await bed.send();
    expect(broker().requests[0]?.headers["x-from-body"]).toBe("yes");
  });

  it("lets the processor rewrite :path", async () => {
    bed.processor.setHandler(
      scripted({
        request_headers: answerFor("request_headers", {
          header_mutation: { set_headers: [rawHeader(":path", "/upstream/mcp")] },
        }),
      }),
    );
    await bed.send();
    expect(broker().requests[0]?.path).toBe("/upstream/mcp");
    expect(clusterAndPath(await bed.routes())).toEqual([{ cluster: "mcp_broker", path: "/upstream/mcp" }]);
  });

  it("answers 413 without a request_body message when the body exceeds the buffer limit", async () => {
    await bed.close();
    bed = await startTestBed({
      upstreams: { mcp_broker: jsonUpstream("broker") },
      routes: [{ prefix: "/", cluster: "mcp_broker" }],
      bufferLimitBytes: 64,
    });
    const res = await bed.send({ body: "x".repeat(65) });
    expect(res.status).toBe(413);
    expect(res.body).toBe("Payload Too Large");
    expect(bed.processor.streams[0]?.received.map(phaseOf)).toEqual(["request_headers", "response_headers"]);
  });

  it("with CONTINUE_AND_REPLACE on request_headers, sends no body message and forwards the processor's body", async () => {
    const answer = answerFor("request_headers", {
      status: "CONTINUE_AND_REPLACE",
      body_mutation: { body: Buffer.from('{"replaced":true}') },
    });
    bed.processor.setHandler(scripted({ request_headers: answer }));
    expect((await bed.send({ body: '{"original":true}' })).status).toBe(200);
    expect(broker().requests[0]?.body).toBe('{"replaced":true}');
    expect(broker().requests[0]?.headers["content-length"]).toBeUndefined();
    expect(bed.processor.streams[0]?.received.map(phaseOf)).toEqual(["request_headers", "response_headers"]);
  });
});
