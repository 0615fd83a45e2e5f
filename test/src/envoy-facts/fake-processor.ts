import * as grpc from "@grpc/grpc-js";
import { loadExtProcService } from "@mcp-gateway/router";
import type {
  CommonResponse,
  HeaderValueOption,
  Phase,
  ProcessingRequest,
  ProcessingResponse,
} from "./ext-proc-messages";

/** The server side of one `Process` stream, as a scripted test processor sees it. */
export interface FakeProcessorStream {
  /** Messages received so far, in order. */
  readonly received: ProcessingRequest[];
  /** Whether Envoy half-closed its side. */
  readonly halfClosed: boolean;
  /** Whether Envoy cancelled (reset) the call. */
  readonly cancelled: boolean;
  /** Sends one ProcessingResponse. */
  answer(response: ProcessingResponse): void;
  /** Ends the call with a gRPC error status. */
  fail(code: grpc.status, details: string): void;
  /** Ends the call cleanly (status OK). */
  end(): void;
}

/** Decides what to do with each received message; it may answer, not answer, answer twice, fail or end. */
export type ProcessorHandler = (message: ProcessingRequest, stream: FakeProcessorStream) => void | Promise<void>;

/** A real gRPC ext_proc server on 127.0.0.1 driven by a handler. */
export interface FakeProcessor {
  port: number;
  /** Every stream opened so far, in order. */
  readonly streams: FakeProcessorStream[];
  /** Replaces the handler for messages received from now on. */
  setHandler(handler: ProcessorHandler): void;
  close(): Promise<void>;
}

/** Whether Envoy ended its side of the stream: a half-close, or (what Envoy 1.40 does once a request is done) a cancel. */
export function streamEnded(stream: FakeProcessorStream | undefined): boolean {
  return stream !== undefined && (stream.halfClosed || stream.cancelled);
}

/** The phase a ProcessingRequest belongs to. */
export function phaseOf(message: ProcessingRequest): Phase {
  if (message.request_headers) return "request_headers";
  if (message.request_body) return "request_body";
  if (message.response_headers) return "response_headers";
  if (message.response_body) return "response_body";
  throw new Error(`unexpected ProcessingRequest ${JSON.stringify(message)}`);
}

/** A CONTINUE answer for `phase`, optionally with a CommonResponse. */
export function answerFor(phase: Phase, response: CommonResponse = {}): ProcessingResponse {
  return { [phase]: { response } };
}

/** A HeaderValueOption that overwrites `key` with `value` carried in `raw_value`, the way Envoy reads it. */
export function rawHeader(key: string, value: string): HeaderValueOption {
  return { header: { key, raw_value: Buffer.from(value) }, append: { value: false } };
}

/** Answers every message with CONTINUE and no mutation. */
export const passThrough: ProcessorHandler = (message, stream) => stream.answer(answerFor(phaseOf(message)));

/** Answers each phase with the given answer (or answer builder); unlisted phases pass through. */
export function scripted(
  answers: Partial<Record<Phase, ProcessingResponse | ((message: ProcessingRequest) => ProcessingResponse)>>,
): ProcessorHandler {
  return (message, stream) => {
    const phase = phaseOf(message);
    const answer = answers[phase];
    stream.answer(typeof answer === "function" ? answer(message) : (answer ?? answerFor(phase)));
  };
}

function serveStream(
  call: grpc.ServerDuplexStream<ProcessingRequest, ProcessingResponse>,
  handler: () => ProcessorHandler,
): FakeProcessorStream {
  let ended = false;
  const stream = {
    received: [] as ProcessingRequest[],
    halfClosed: false,
    cancelled: false,
    answer: (response: ProcessingResponse) => void (ended || call.write(response)),
    fail: (code: grpc.status, details: string) => {
      // grpc-js turns an "error" event on a server stream into the call's final status.
      if (!ended) call.emit("error", { code, details });
      ended = true;
    },
    end: () => {
      if (!ended) call.end();
      ended = true;
    },
  };
  call.on("data", (message: ProcessingRequest) => {
    stream.received.push(message);
    void handler()(message, stream);
  });
  call.on("end", () => {
    stream.halfClosed = true;
    stream.end(); // a well-behaved processor closes once Envoy has half-closed
  });
  call.on("error", () => undefined);
  call.on("cancelled", () => {
    stream.cancelled = true;
    ended = true;
  });
  return stream;
}

/** Starts a fake ext_proc server (default handler: pass-through). */
export async function startFakeProcessor(handler: ProcessorHandler = passThrough): Promise<FakeProcessor> {
  let current = handler;
  const streams: FakeProcessorStream[] = [];
  const server = new grpc.Server();
  server.addService(loadExtProcService().definition, {
    Process: (call: grpc.ServerDuplexStream<ProcessingRequest, ProcessingResponse>) => {
      streams.push(serveStream(call, () => current));
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return {
    port,
    streams,
    setHandler: (next) => (current = next),
    close: async () => server.forceShutdown(),
  };
}
