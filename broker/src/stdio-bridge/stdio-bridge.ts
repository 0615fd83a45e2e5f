import type { Server } from "node:http";
import { isIPv4 } from "node:net";
import { isDeepStrictEqual } from "node:util";
import express, { type Request, type Response } from "express";
import {
  checkStdioBridgeToken,
  STDIO_BRIDGE_TOKEN_HEADER,
  type Logger,
  type ServerConfig,
  type StdioLaunch,
} from "@mcp-gateway/core";
import { createBoundedServer } from "../http-server";
import { StdioServerPool, type StdioServerConfig } from "./stdio-server-pool";

/** Options of {@link StdioBridge}. */
export interface StdioBridgeOptions {
  logger: Logger;
  /** Bound on a process's answer to initialize (`sessions.backendInitTimeout`). */
  initTimeoutMs: number;
  /** A bridge session no request used for this long is ended (`sessions.backendIdleTimeout`). */
  idleTimeoutMs: number;
  /** Largest request body the bridge reads (`limits.maxBodyBytes`). */
  maxBodyBytes: number;
  /** Time a client has to send a whole request (`limits.requestTimeout`). */
  requestTimeoutMs: number;
  /**
   * The one `Host` the bridge answers: its URL's (the gateway, and Envoy after the router's rewrite, send exactly
   * that). Anything else, or any `Origin`, is a browser or a DNS-rebinding page on this machine: refused.
   */
  allowedHost: string;
  /**
   * The credential every request must carry in `x-mcp-stdio-bridge-token` ({@link stdioBridgeToken}): without it, any
   * process on this machine could call the stdio servers past authentication, policy, rate limits and audit.
   */
  token: string;
}

/** The bridge's answer to a request not from the gateway: 403 for a wrong Host/Origin or token, 401 for none. */
function refusal(request: Request, allowedHost: string, token: string): [number, string] | undefined {
  if (request.headers.host !== allowedHost || request.headers.origin !== undefined) {
    return [403, "stdio bridge: only the gateway may call it (Host or Origin refused)"];
  }
  const problem = checkStdioBridgeToken(request.headers[STDIO_BRIDGE_TOKEN_HEADER], token);
  if (problem === "missing") {
    return [401, `stdio bridge: only the gateway may call it (no ${STDIO_BRIDGE_TOKEN_HEADER} header)`];
  }
  if (problem === "wrong") {
    return [403, `stdio bridge: only the gateway may call it (${STDIO_BRIDGE_TOKEN_HEADER} is not the gateway's)`];
  }
  return undefined;
}

/** True for a host only this machine reaches (`localhost`, 127.0.0.0/8, ::1). */
function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (bare === "localhost" || bare === "::1") return true;
  return isIPv4(bare) && bare.startsWith("127.");
}

/** True for a server the gateway spawns (`command`) rather than reaches at a URL. */
export const isStdioServer = (server: ServerConfig): server is StdioServerConfig => server.command !== undefined;

/**
 * What a server's processes are started from: a reload that changes it replaces them (a new prefix or filter does not,
 * nor `stdio.maxInstancesPerConsumer`, which the gateway enforces when it creates backend sessions).
 */
const processFields = ({ command, args, env, cwd, stdio }: StdioServerConfig): object => {
  const { maxInstancesPerConsumer: _perConsumer, ...mode } = stdio ?? {};
  return { command, args, env, cwd, stdio: mode };
};

/** How to start and supervise one server's processes. */
const launchOf = (server: StdioServerConfig, initTimeoutMs: number): StdioLaunch => ({
  name: server.name,
  command: server.command,
  args: server.args ?? [],
  env: server.env ?? {},
  cwd: server.cwd,
  initialBackoffMs: server.stdio?.initialBackoff ?? 250,
  maxBackoffMs: server.stdio?.maxBackoff ?? 30_000,
  initTimeoutMs,
  shared: server.stdio?.instances !== "perSession",
});

/**
 * The gateway's local Streamable HTTP bridge to its stdio servers: `/stdio/<name>/mcp` on its own loopback listener
 * (`stdioBridge.listen`), never on the public one. The gateway and Envoy reach each stdio server there as they reach
 * any HTTP upstream; the bridge spawns and supervises the processes behind it.
 */
export class StdioBridge {
  private readonly pools = new Map<string, StdioServerPool>();
  private server: Server | undefined;
  private idleTimeoutMs: number;

  constructor(private readonly options: StdioBridgeOptions) {
    this.idleTimeoutMs = options.idleTimeoutMs;
  }

  /** The running processes' ids per server name. */
  pids(): Record<string, number[]> {
    return Object.fromEntries([...this.pools].map(([name, pool]) => [name, pool.pids()]));
  }

  /**
   * Starts, replaces or stops pools so that they match `servers` (the stdio ones); unchanged ones keep running.
   * `idleTimeoutMs` (a reloaded `sessions.backendIdleTimeout`) applies to every pool's sessions from now on.
   */
  async reconfigure(servers: readonly ServerConfig[], idleTimeoutMs = this.idleTimeoutMs): Promise<void> {
    this.idleTimeoutMs = idleTimeoutMs;
    const wanted = new Map(servers.filter(isStdioServer).map((server) => [server.name, server]));
    const stopping: Promise<void>[] = [];
    for (const [name, pool] of this.pools) {
      const next = wanted.get(name);
      if (next && isDeepStrictEqual(processFields(next), processFields(pool.server))) continue;
      this.pools.delete(name);
      stopping.push(pool.close());
    }
    for (const [name, server] of wanted) {
      if (this.pools.has(name)) continue;
      const launch = launchOf(server, this.options.initTimeoutMs);
      const idle = (): number => this.idleTimeoutMs;
      this.pools.set(name, new StdioServerPool(server, launch, this.options.logger, idle));
    }
    await Promise.all(stopping);
  }

  /** Binds the listener; the port it got. */
  async listen(host: string, port: number): Promise<number> {
    if (!isLoopback(host)) {
      this.options.logger.warn(
        "stdio bridge listens beyond loopback: its token is then the only gate to the stdio servers; keep stdioBridge.listen on 127.0.0.1 unless Envoy runs on another host",
        { host },
      );
    }
    const app = express();
    app.disable("x-powered-by");
    app.use((request: Request, response: Response, next: () => void) => {
      const refused = refusal(request, this.options.allowedHost, this.options.token);
      if (!refused) return next();
      response.status(refused[0]).json({ error: refused[1] });
    });
    app.use(express.json({ limit: this.options.maxBodyBytes }));
    app.all("/stdio/:name/mcp", (request: Request, response: Response) => {
      const pool = this.pools.get(String(request.params["name"]));
      if (!pool) {
        response.status(404).json({ error: "no such stdio server" });
        return;
      }
      pool.handle(request, response, request.body).catch((error: unknown) => {
        this.options.logger.warn("stdio bridge request failed", { server: pool.server.name, error: String(error) });
        if (!response.headersSent) response.status(500).json({ error: "stdio bridge failure" });
      });
    });
    const server = createBoundedServer(app, { requestTimeoutMs: this.options.requestTimeoutMs });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, resolve);
    });
    const address = server.address();
    return typeof address === "object" && address ? address.port : port;
  }

  /** Stops every process (gracefully: stdin closed, SIGTERM, SIGKILL) and closes the listener. */
  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((pool) => pool.close()));
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}
