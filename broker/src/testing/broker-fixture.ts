import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { createGatewayContext, parseConfig, silentLogger, type GatewayContext } from "@mcp-gateway/core";
import { createBroker, type Broker } from "../broker";

/** A broker listening on 127.0.0.1 with its gateway context; `close()` stops both. */
export interface RunningBroker {
  broker: Broker;
  context: GatewayContext;
  /** `http://127.0.0.1:<port>` */
  base: string;
  /** `http://127.0.0.1:<port>/mcp` */
  mcpUrl: string;
  close(): Promise<void>;
}

/** A fixed secret, so tests can mint session ids (expired ones too) that the broker's codec accepts. */
export const TEST_SESSION_SECRET = "broker-test-secret-0123456789abcdef";

/** Initialize params a well-behaved client sends. */
export const INIT_PARAMS = {
  protocolVersion: "2025-06-18",
  capabilities: {},
  clientInfo: { name: "broker-test", version: "1.0.0" },
} as const;

/**
 * A gateway config for `servers` with short health timings (a dead upstream is noticed within ~200 ms and retried
 * every ≤500 ms, so recovery tests stay fast); `extra` is appended as more top-level YAML.
 */
export function gatewayYaml(servers: readonly { name: string; url: string }[], extra = ""): string {
  const list = servers.length === 0 ? " []" : servers.map((s) => `\n  - { name: ${s.name}, url: "${s.url}" }`).join("");
  // Without consumers or policies in `extra`, the broker runs open (an explicit `auth: none`).
  const open = /^(auth|consumers|policies):/m.test(extra) ? "" : "auth: none\n";
  return `version: 1
${open}servers:${list}
sessions: { secret: "${TEST_SESSION_SECRET}" }
health: { interval: 200ms, maxBackoff: 500ms, timeout: 1s }
${extra}
`;
}

/**
 * Starts a broker for `yaml` in the documented wire order and waits for every upstream's first attempt; with
 * `standalone`, it is the standalone gateway's app (edge checks, authentication, forwarding).
 */
export async function startBroker(yaml: string, options: { standalone?: boolean } = {}): Promise<RunningBroker> {
  const config = parseConfig(yaml, {});
  const standalone = options.standalone === true;
  const broker = createBroker(silentLogger, undefined, [], { standalone });
  const context = await createGatewayContext(config, {
    logger: silentLogger,
    onCatalogChange: (catalog, previous) => broker.onCatalogChange(catalog, previous),
  });
  broker.attach(context);
  await context.upstreams.settled();
  const port = await broker.listen("127.0.0.1", 0);
  const base = `http://127.0.0.1:${port}`;
  return {
    broker,
    context,
    base,
    mcpUrl: `${base}/mcp`,
    close: async () => {
      await broker.close();
      await context.close();
    },
  };
}

/** Polls `check` every 25 ms until it holds; fails naming `what` after `timeoutMs`. */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await Promise.resolve(check()).catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** A raw HTTP answer: status, headers and the body parsed as JSON when it is JSON. */
export interface RawReply {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON-RPC shapes
  json: any;
}

/** POSTs one body (an object is JSON-encoded, a string is sent as is) to `url`. */
export async function postMcp(url: string, body: unknown, headers: Record<string, string> = {}): Promise<RawReply> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  const isJson = (response.headers.get("content-type") ?? "").includes("application/json");
  return { status: response.status, headers: response.headers, json: isJson && text !== "" ? JSON.parse(text) : text };
}

/** Runs `initialize` over raw HTTP and returns the issued gateway session id. */
export async function initializeSession(mcpUrl: string): Promise<string> {
  const reply = await postMcp(mcpUrl, { jsonrpc: "2.0", id: 1, method: "initialize", params: INIT_PARAMS });
  const session = reply.headers.get("mcp-session-id");
  if (reply.status !== 200 || session === null) throw new Error(`initialize failed: HTTP ${reply.status}`);
  return session;
}

/** Reads the broker's `/status`. */
export async function brokerStatus(base: string): Promise<{
  upstreams: { name: string; state: string; protocolVersion?: string; toolCount: number; lastError?: string }[];
  openStreams: number;
}> {
  return (await (await fetch(`${base}/status`)).json()) as Awaited<ReturnType<typeof brokerStatus>>;
}

/**
 * Connects a real SDK client to `url`. Reconnection is off: when a test ends a stream on purpose the client must
 * not retry in the background after the test has finished.
 */
export async function connectSdkClient(url: string, name = "broker-test"): Promise<Client> {
  const client = new Client({ name, version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    reconnectionOptions: {
      maxRetries: 0,
      initialReconnectionDelay: 1000,
      maxReconnectionDelay: 1000,
      reconnectionDelayGrowFactor: 1,
    },
  });
  client.onerror = () => undefined;
  await client.connect(transport);
  return client;
}

/** A raw GET /mcp stream: the JSON-RPC messages received so far, and whether the server ended it. */
export interface EventStream {
  status: number;
  headers: IncomingHttpHeaders;
  messages: unknown[];
  /** Resolves when the server (or the network) ends the stream. */
  ended: Promise<void>;
  close(): void;
}

/** Opens GET /mcp with `headers` and collects the SSE `data:` payloads as they arrive. */
export function openEventStream(mcpUrl: string, headers: Record<string, string>): Promise<EventStream> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(mcpUrl, { method: "GET", headers, agent: false }, (response) => {
      const messages: unknown[] = [];
      let buffer = "";
      const ended = new Promise<void>((done) => {
        response.once("end", done);
        response.once("close", done);
        response.on("error", () => done());
      });
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        buffer += chunk;
        let cut: number;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const event = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const data = event
            .split("\n")
            .filter((line) => line.startsWith("data:"))
            .map((line) => line.slice(5).trim())
            .join("\n");
          if (data !== "") messages.push(JSON.parse(data));
        }
      });
      resolve({
        status: response.statusCode ?? 0,
        headers: response.headers,
        messages,
        ended,
        close: () => request.destroy(),
      });
    });
    request.on("error", reject);
    request.end();
  });
}
