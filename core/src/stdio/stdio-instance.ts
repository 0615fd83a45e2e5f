import type { Readable } from "node:stream";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "../logging";
import { Backoff } from "./backoff";
import { LineBudget, logStderr, STDERR_LINES_PER_SECOND } from "./stderr-lines";
import { StdioMultiplexer, type MuxSession } from "./stdio-multiplexer";

/** What to spawn for one stdio server, and how to supervise it. */
export interface StdioLaunch {
  /** The server's name, on every log line about it. */
  name: string;
  command: string;
  args: readonly string[];
  env: Readonly<Record<string, string>>;
  cwd?: string | undefined;
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** Bound on the process's answer to initialize. */
  initTimeoutMs: number;
  /** True when several client sessions share the process (see {@link StdioMultiplexer} for what that withholds). */
  shared: boolean;
}

type Params = Record<string, unknown>;
type State = "idle" | "starting" | "ready" | "down" | "stopped";

/** The client capabilities through which a server asks the client something. */
const CLIENT_REQUEST_CAPABILITIES = new Set(["elicitation", "sampling", "roots"]);

/**
 * One supervised stdio server process and the client sessions it serves. The process starts on the first initialize
 * (its params are replayed after every restart), is restarted with exponential back-off when it exits, and its
 * stderr lines go to the log with the server's name (capped in size and rate, see {@link logStderr}). Sessions share it through a {@link StdioMultiplexer}.
 */
export class StdioInstance {
  private readonly mux: StdioMultiplexer;
  private readonly backoff: Backoff;
  private transport: StdioClientTransport | undefined;
  private state: State = "idle";
  private initParams: Params | undefined;
  private initResult: Params | undefined;
  private ready: Promise<Params> | undefined;
  private queued: [string, JSONRPCMessage][] = [];
  private restartTimer: NodeJS.Timeout | undefined;
  private startedAt = 0;
  private run = 0;
  private lastFailure = "";

  /** `stderrBudget` is shared by every process of one server: the rate limit is the server's, not each process's. */
  constructor(
    private readonly launch: StdioLaunch,
    private readonly logger: Logger,
    private readonly stderrBudget = new LineBudget(STDERR_LINES_PER_SECOND),
  ) {
    this.mux = new StdioMultiplexer((message) => this.toServer(message), launch.shared);
    this.backoff = new Backoff(launch.initialBackoffMs, launch.maxBackoffMs);
  }

  /** The running process's id, if any. */
  get pid(): number | undefined {
    return this.state === "ready" || this.state === "starting" ? (this.transport?.pid ?? undefined) : undefined;
  }

  /** Sessions attached now. */
  get sessions(): number {
    return this.mux.size;
  }

  /**
   * A session's initialize: the process's initialize result, starting the process with these params if it does not
   * run yet (a shared process keeps the first session's params; every later session gets the same result).
   */
  initialize(params: Params): Promise<Params> {
    if (this.state === "stopped") return Promise.reject(new Error(`stdio server "${this.launch.name}" is stopped`));
    if (this.initResult && this.state === "ready") return Promise.resolve(this.initResult);
    if (this.ready) return this.ready;
    if (this.state === "down") return Promise.reject(new Error(this.downMessage()));
    this.initParams = this.launch.shared ? withoutClientRequests(params) : params;
    return this.start();
  }

  /** Routes messages to and from a session (after its initialize). */
  attach(session: MuxSession): void {
    this.mux.attach(session);
  }

  /** Forgets a session; what the process was still doing for it is cancelled. */
  detach(sessionId: string): void {
    this.mux.detach(sessionId);
  }

  /** A message from an attached session: forwarded, held while the process starts, or refused while it is down. */
  fromSession(sessionId: string, message: JSONRPCMessage): void {
    if (this.state === "starting") this.queued.push([sessionId, message]);
    else if (this.state === "ready") this.mux.fromSession(sessionId, message);
    else this.refuse(sessionId, message, this.downMessage());
  }

  /** Stops supervising and ends the process: stdin closed, then SIGTERM, then SIGKILL (each after a 2 s grace). */
  async stop(): Promise<void> {
    if (this.state === "stopped") return;
    this.state = "stopped";
    clearTimeout(this.restartTimer);
    this.mux.serverLost(`stdio server "${this.launch.name}" was stopped`);
    const transport = this.transport;
    this.transport = undefined;
    await transport?.close();
  }

  private start(): Promise<Params> {
    this.state = "starting";
    const run = ++this.run;
    const transport = new StdioClientTransport({
      command: this.launch.command,
      args: [...this.launch.args],
      env: { ...this.launch.env },
      ...(this.launch.cwd !== undefined ? { cwd: this.launch.cwd } : {}),
      stderr: "pipe",
    });
    this.transport = transport;
    const stderr = transport.stderr;
    if (stderr) logStderr(stderr as Readable, this.logger, this.launch.name, this.stderrBudget);
    transport.onclose = () => this.exited(run, "the process exited");
    transport.onerror = (error) =>
      this.logger.warn("stdio server error", { server: this.launch.name, error: errorText(error) });
    this.ready = this.handshake(transport, run).finally(() => (this.ready = undefined));
    return this.ready;
  }

  private async handshake(transport: StdioClientTransport, run: number): Promise<Params> {
    const id = `gateway-init-${String(run)}`;
    let timer: NodeJS.Timeout | undefined;
    const answered = new Promise<Params>((resolve, reject) => {
      const limit = this.launch.initTimeoutMs;
      timer = setTimeout(() => reject(new Error(`no answer to initialize within ${String(limit)} ms`)), limit);
      transport.onmessage = (message) => {
        const raw = message as Params;
        if (raw["id"] !== id) return;
        if (typeof raw["result"] === "object" && raw["result"] !== null) resolve(raw["result"] as Params);
        else reject(new Error(`initialize failed: ${JSON.stringify(raw["error"] ?? null).slice(0, 300)}`));
      };
    });
    // Awaited below, or abandoned when the spawn itself fails: never an unhandled rejection.
    answered.catch(() => undefined);
    try {
      await transport.start();
      this.startedAt = Date.now();
      await transport.send({ jsonrpc: "2.0", id, method: "initialize", params: this.initParams ?? {} });
      const result = await answered;
      await transport.send({ jsonrpc: "2.0", method: "notifications/initialized" });
      if (run !== this.run || this.state !== "starting") throw new Error(this.downMessage());
      this.serve(transport, result);
      return result;
    } catch (error: unknown) {
      this.exited(run, errorText(error));
      throw new Error(`stdio server "${this.launch.name}" could not start: ${errorText(error)}`);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The handshake is done: the process serves the sessions, starting with what they sent meanwhile. */
  private serve(transport: StdioClientTransport, result: Params): void {
    transport.onmessage = (message) => this.mux.fromServer(message);
    this.initResult = result;
    this.state = "ready";
    this.logger.info("stdio server started", { server: this.launch.name, pid: transport.pid });
    for (const [session, message] of this.queued.splice(0)) this.mux.fromSession(session, message);
  }

  /** The process of `run` ended or failed to start: pending work fails, and a restart is scheduled. */
  private exited(run: number, reason: string): void {
    if (run !== this.run || this.state === "stopped" || this.state === "down") return;
    this.state = "down";
    this.lastFailure = reason;
    const transport = this.transport;
    this.transport = undefined;
    void transport?.close().catch(() => undefined);
    const delay = this.backoff.next(this.startedAt === 0 ? 0 : Date.now() - this.startedAt);
    this.startedAt = 0;
    this.logger.warn("stdio server down; restarting", { server: this.launch.name, reason, restartInMs: delay });
    this.mux.serverLost(`stdio server "${this.launch.name}" went down (${reason}); it is being restarted`);
    for (const [session, message] of this.queued.splice(0)) this.refuse(session, message, this.downMessage());
    this.restartTimer = setTimeout(() => {
      if (this.state === "down") this.start().catch(() => undefined);
    }, delay);
    this.restartTimer.unref();
  }

  private downMessage(): string {
    return `stdio server "${this.launch.name}" is down (${this.lastFailure}); it is being restarted`;
  }

  private refuse(sessionId: string, message: JSONRPCMessage, reason: string): void {
    const raw = message as Params;
    if (typeof raw["method"] !== "string" || raw["id"] === undefined) return;
    const id = raw["id"] as string | number;
    const reply: JSONRPCMessage = { jsonrpc: "2.0", id, error: { code: -32603, message: reason } };
    this.mux.replyTo(sessionId, reply, id);
  }

  private toServer(message: JSONRPCMessage): void {
    this.transport?.send(message).catch((error: unknown) => {
      this.logger.warn("stdio server write failed", { server: this.launch.name, error: errorText(error) });
    });
  }
}

/**
 * A shared process's initialize params without the client capabilities that let it ask a client something
 * (elicitation, sampling, roots): the multiplexer refuses such requests, so the process must not count on them.
 */
function withoutClientRequests(params: Params): Params {
  const capabilities = params["capabilities"];
  if (typeof capabilities !== "object" || capabilities === null) return params;
  const kept = Object.entries(capabilities).filter(([name]) => !CLIENT_REQUEST_CAPABILITIES.has(name));
  return { ...params, capabilities: Object.fromEntries(kept) };
}

/** An error's message (also for errors of another realm, which fail `instanceof Error`). */
function errorText(error: unknown): string {
  const message: unknown = typeof error === "object" && error !== null ? Reflect.get(error, "message") : undefined;
  return typeof message === "string" ? message : String(error);
}
