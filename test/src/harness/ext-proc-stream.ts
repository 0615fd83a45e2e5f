import * as grpc from "@grpc/grpc-js";
import { answerKind, type Phase, type ProcessingRequest, type ProcessingResponse } from "./ext-proc-messages";

/** An ext_proc failure Envoy turns into a local reply (500 for errors, 504 for a message timeout). */
export class ExtProcFailure extends Error {
  constructor(
    readonly status: number,
    readonly details: string,
  ) {
    super(`ext_proc failure ${status}: ${details}`);
    this.name = "ExtProcFailure";
  }
}

/** Settings of one stream, taken from the filter config. */
export interface ExtProcStreamOptions {
  client: grpc.Client;
  messageTimeoutMs: number;
  /** `max_message_timeout`; 0 means `override_message_timeout` is ignored. */
  maxMessageTimeoutMs: number;
  /** Called when the stream fails while no message is awaited (a spurious answer or a gRPC error). */
  onIdleFailure(failure: ExtProcFailure): void;
  /** Called once the gRPC call has ended, whichever side ended it. */
  onClosed(): void;
}

/** How long Envoy waits for the processor to close after Envoy half-closed (its remote close timeout). */
const REMOTE_CLOSE_TIMEOUT_MS = 1000;

type ProcessCall = grpc.ClientDuplexStream<ProcessingRequest, ProcessingResponse>;

interface Pending {
  phase: Phase;
  resolve(answer: ProcessingResponse | undefined): void;
  reject(failure: ExtProcFailure): void;
  timer: NodeJS.Timeout;
  timeoutExtended: boolean;
}

/** Envoy accepts an answer for the awaited phase, or an immediate response in any phase. */
function answersPhase(answer: ProcessingResponse, phase: Phase): boolean {
  const kind = answerKind(answer);
  return kind === phase || kind === "immediate_response";
}

function overrideMs(answer: ProcessingResponse): number | undefined {
  const timeout = answer.override_message_timeout;
  if (!timeout) return undefined;
  return Number(timeout.seconds ?? 0) * 1000 + Math.round((timeout.nanos ?? 0) / 1e6);
}

/**
 * One `Process` stream for one HTTP request, as Envoy's ext_proc filter drives it: opened on the first message,
 * exactly one answer per message within `message_timeout`, anything unexpected fails the request closed.
 */
export class ExtProcStream {
  private call: ProcessCall | undefined;
  private pending: Pending | undefined;
  /** Envoy's `processing_complete_`: later answers are ignored and no more messages are sent. */
  private complete = false;
  private failure: ExtProcFailure | undefined;
  private closeTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ExtProcStreamOptions) {}

  /** Sends one message and resolves with its answer, or undefined when the processor closed the stream cleanly. */
  send(phase: Phase, request: ProcessingRequest): Promise<ProcessingResponse | undefined> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.complete) return Promise.resolve(undefined);
    const call = this.call ?? this.open();
    return new Promise((resolve, reject) => {
      const timer = this.startMessageTimer(this.options.messageTimeoutMs);
      this.pending = { phase, resolve, reject, timer, timeoutExtended: false };
      call.write(request);
    });
  }

  /** Whether no more messages will be exchanged (answered last message, immediate response, failure or close). */
  get isComplete(): boolean {
    return this.complete;
  }

  /** After the last answer: half-close, then reset if the processor has not closed within the remote close timeout. */
  finish(): void {
    if (this.complete) return;
    this.complete = true;
    if (!this.call) return;
    this.call.end();
    this.closeTimer = setTimeout(() => this.call?.cancel(), REMOTE_CLOSE_TIMEOUT_MS);
    this.closeTimer.unref();
  }

  /** Resets the stream (downstream went away or the harness is closing). */
  cancel(): void {
    this.complete = true;
    this.clearPending();
    clearTimeout(this.closeTimer);
    this.call?.cancel();
  }

  private open(): ProcessCall {
    const call = (this.options.client as unknown as { Process(): ProcessCall }).Process();
    call.on("data", (answer: ProcessingResponse) => this.onAnswer(answer));
    call.on("status", (status: grpc.StatusObject) => this.onStatus(status));
    call.on("error", () => undefined); // reported through "status"
    this.call = call;
    return call;
  }

  private onAnswer(answer: ProcessingResponse): void {
    if (this.complete) return; // Envoy ignores messages once processing is complete
    const pending = this.pending;
    const extendMs = overrideMs(answer);
    if (extendMs !== undefined) {
      // Not an answer: a request for more time, honoured once per message and only up to max_message_timeout.
      const max = this.options.maxMessageTimeoutMs;
      if (pending && !pending.timeoutExtended && max > 0 && extendMs <= max) {
        clearTimeout(pending.timer);
        pending.timer = this.startMessageTimer(extendMs);
        pending.timeoutExtended = true;
      }
      return;
    }
    if (!pending) return this.fail(new ExtProcFailure(500, "spurious message: no message was awaiting an answer"));
    if (!answersPhase(answer, pending.phase)) {
      const kind = answerKind(answer) ?? "no response";
      return this.fail(new ExtProcFailure(500, `spurious message: got ${kind} while awaiting ${pending.phase}`));
    }
    this.clearPending();
    if (answerKind(answer) === "immediate_response") this.finish();
    pending.resolve(answer);
  }

  private onStatus(status: grpc.StatusObject): void {
    clearTimeout(this.closeTimer);
    this.options.onClosed();
    if (this.complete) return;
    if (status.code === grpc.status.OK) {
      // A clean close by the processor: Envoy stops external processing and lets the request continue.
      this.complete = true;
      const pending = this.pending;
      this.clearPending();
      pending?.resolve(undefined);
      return;
    }
    this.fail(new ExtProcFailure(500, `ext_proc_error_gRPC_error_${status.code}{${status.details}}`));
  }

  private fail(failure: ExtProcFailure): void {
    if (this.complete) return;
    this.failure = failure;
    const pending = this.pending;
    this.cancel();
    if (pending) pending.reject(failure);
    else this.options.onIdleFailure(failure);
  }

  /** Envoy answers 504 when a message waits longer than its timer. */
  private startMessageTimer(ms: number): NodeJS.Timeout {
    return setTimeout(() => this.fail(new ExtProcFailure(504, "ext_proc_error_per-message_timeout_exceeded")), ms);
  }

  private clearPending(): void {
    if (this.pending) clearTimeout(this.pending.timer);
    this.pending = undefined;
  }
}
