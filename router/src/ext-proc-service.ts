import type * as grpc from "@grpc/grpc-js";
import type { ProcessingRequest, ProcessingResponse } from "./ext-proc-messages";
import { StreamProcessor, type ProcessorDeps } from "./stream-processor";
import { streamTraceCarrier } from "./stream-tracing";

type ProcessStream = grpc.ServerDuplexStream<ProcessingRequest, ProcessingResponse>;

/**
 * The `Process` handler: one {@link StreamProcessor} per stream, messages answered strictly in order, exactly one
 * answer each. Envoy may half-close early or cancel (client gone); then pending answers are dropped.
 */
export function createProcessHandler(
  deps: ProcessorDeps,
  onStream?: (open: number) => void,
): grpc.handleBidiStreamingCall<ProcessingRequest, ProcessingResponse> {
  let open = 0;
  return function handleProcessStream(stream: ProcessStream): void {
    const processor = new StreamProcessor(deps, deps.tracing ? streamTraceCarrier(stream.metadata) : undefined);
    let done = false;
    let queue: Promise<void> = Promise.resolve();
    open += 1;
    onStream?.(open);
    const finish = (): void => {
      if (done) return;
      done = true;
      processor.close();
      open -= 1;
      onStream?.(open);
    };
    stream.on("data", (message: ProcessingRequest) => {
      queue = queue.then(async () => {
        const answer = await processor.process(message);
        if (!done && !stream.cancelled && stream.writable) stream.write(answer);
      });
    });
    stream.on("end", () => {
      void queue.then(() => {
        if (!stream.cancelled && stream.writable) stream.end();
        finish();
      });
    });
    stream.on("cancelled", finish);
    stream.on("error", finish);
  };
}
