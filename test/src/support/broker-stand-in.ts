import { createServer, request, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { withDeadline } from "./bounded-wait";
import type { EnvoyProcess } from "./envoy-process";
import { rawRequest } from "./raw-http";

/** One request as the stand-in received it. */
export interface Arrival {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: Buffer;
}

/** The first event of the stand-in's SSE answer, sent at once. */
export const FIRST_EVENT =
  'data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hel"}}]}\n\n';
/** The rest of its SSE answer, sent once {@link BrokerStandIn.release} is called. */
export const LAST_EVENT =
  'data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"lo"}}]}\n\ndata: [DONE]\n\n';

/** A fixed answer for one exact path. */
export interface FixedAnswer {
  contentType: string;
  body: string;
}

/** A broker stand-in on 127.0.0.1 recording what arrives (Envoy's broker cluster points at its port). */
export interface BrokerStandIn {
  port: number;
  arrivals: Arrival[];
  /** Resolves the stream in flight: the stand-in then sends its last event and ends. */
  release(): void;
  close(): Promise<void>;
}

/**
 * Starts a broker stand-in: `fixed` answers for their exact paths; otherwise it echoes the body's length as JSON,
 * or, for `"stream":true`, sends {@link FIRST_EVENT}, waits for `release()`, then sends {@link LAST_EVENT}.
 */
export async function startBrokerStandIn(fixed: Record<string, FixedAnswer> = {}): Promise<BrokerStandIn> {
  const arrivals: Arrival[] = [];
  let release = (): void => undefined;
  const answer = (arrival: Arrival, res: ServerResponse): void => {
    const known = Object.hasOwn(fixed, arrival.path) ? fixed[arrival.path] : undefined;
    if (known) return void res.writeHead(200, { "content-type": known.contentType }).end(known.body);
    if (!arrival.body.includes('"stream":true'))
      return void res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ bytes: arrival.body.length }));
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    res.write(FIRST_EVENT);
    void new Promise<void>((resolve) => (release = resolve)).then(() => res.end(LAST_EVENT));
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const arrival = {
        method: req.method ?? "",
        path: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      arrivals.push(arrival);
      answer(arrival, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    arrivals,
    release: () => release(),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * POSTs `body` (JSON, asking for an event stream) to `path` on `port` and resolves with the first SSE event as soon
 * as it arrives (within 10 s), and the whole stream's text once it ends (`rest`, also bounded by the caller).
 */
export async function firstStreamedEvent(
  port: number,
  path: string,
  body: string,
): Promise<{ first: string; rest: Promise<string> }> {
  const streaming = new Promise<{ first: string; rest: Promise<string> }>((resolve, reject) => {
    const headers = { "content-type": "application/json", accept: "text/event-stream" };
    const req = request({ host: "127.0.0.1", port, path, method: "POST", headers }, (res) => {
      if (res.statusCode !== 200 || res.headers["content-type"] !== "text/event-stream") {
        reject(new Error(`expected a 200 event stream, got ${String(res.statusCode)} ${res.headers["content-type"]}`));
        return;
      }
      let text = "";
      let first: string | undefined;
      const rest = new Promise<string>((done) => res.on("end", () => done(text)));
      res.on("data", (chunk: Buffer) => {
        text += chunk.toString("utf8");
        if (first === undefined && text.includes("\n\n")) {
          first = text;
          resolve({ first, rest });
        }
      });
    });
    req.on("error", reject);
    req.end(body);
  });
  return withDeadline(streaming, 10_000, "the first SSE event");
}

/**
 * POSTs `body` in two chunks to `path` through `envoy` with a client key and the `forged` gateway headers, and checks
 * it reached the stand-in byte for byte on the broker route, key kept, each forged header removed, and the client's
 * address set by Envoy (the client's own claim replaced, never passed on or appended).
 */
export async function expectPassedToBroker(
  envoy: EnvoyProcess,
  standIn: BrokerStandIn,
  request: { path: string; body: string; forged: Record<string, string> },
): Promise<void> {
  const { path, body, forged } = request;
  const since = Date.now();
  const reply = await rawRequest(envoy.port, path, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer test-key", ...forged },
    chunks: [body.slice(0, 100), body.slice(100)],
  });
  expect(reply.status).toBe(200);
  const arrival = standIn.arrivals.at(-1);
  expect(arrival).toMatchObject({ method: "POST", path });
  expect(arrival?.body.equals(Buffer.from(body))).toBe(true);
  expect(arrival?.headers["authorization"]).toBe("Bearer test-key");
  for (const name of Object.keys(forged).filter((header) => header !== "x-mcp-client-address")) {
    expect(arrival?.headers[name]).toBeUndefined();
  }
  expect(arrival?.headers["x-mcp-client-address"]).toBe("127.0.0.1");
  expect(await envoy.routeSince(since)).toMatchObject({ cluster: "mcp_broker", details: "via_upstream" });
}
