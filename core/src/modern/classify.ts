import {
  classifyInboundRequest,
  createMcpHandler,
  fromJsonSchema,
  Server,
  type InboundModernRoute,
  type McpHttpHandler,
  type MessageClassification,
} from "@modelcontextprotocol/server";
import { GatewayError, JsonRpcErrorCode, type JsonRpcErrorCodeValue, type JsonRpcId } from "../errors";
import { provablyLegacyRequest } from "./legacy-precheck";
import { ParamHeaderProbe, type ToolSchemaLookup } from "./param-headers";

/** The per-request era of a POST, decided by the SDK's own validation ladder. */
export type RequestEra =
  | { era: "legacy" }
  | { era: "modern"; message: InboundModernRoute["message"]; classification: MessageClassification }
  | { era: "reject"; error: GatewayError };

/** The standard headers the SDK's classifier reads (lower-case names, as the gateway keeps them). */
const PROTOCOL_VERSION = "mcp-protocol-version";
const MCP_METHOD = "mcp-method";
const MCP_NAME = "mcp-name";

/**
 * The request's id as the JSON-RPC error must echo it: the SDK's classifier has proved the shape of modern
 * messages, but a rejection may concern a body it could not classify, so only a string or number id is taken.
 */
function requestIdOf(body: unknown): JsonRpcId {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return null;
  const id = (body as Record<string, unknown>)["id"];
  return typeof id === "string" || typeof id === "number" ? id : null;
}

/**
 * The SDK's ladder codes (-32020 header mismatch, -32021 missing client capability, -32022 unsupported version)
 * are the spec's own; the gateway relays them exactly, so the value is taken as the SDK gives it.
 */
function ladderError(status: number, code: number, message: string, data: unknown, id: JsonRpcId): GatewayError {
  return new GatewayError(code as JsonRpcErrorCodeValue, message, { httpStatus: status, data, id });
}

/**
 * Requests whose ladder the SDK's entry runs by opening a stream (`subscriptions/listen`): classified here, but
 * their remaining rungs belong to the front end that serves them (it runs the same SDK entry).
 */
const STREAMING_METHODS: ReadonlySet<string> = new Set(["subscriptions/listen"]);

/**
 * The rest of the SDK's ladder after classification (supported revision -32022, standard headers -32020,
 * client capabilities -32021, removed methods -32601 on 404) lives in its strict HTTP entry, which exports no
 * separate validator. So the gateway runs that entry itself over a probe server that answers every method it did
 * not already answer with an empty result: whatever the entry refuses is the SDK's rejection, exactly as it would
 * be emitted; anything else passed the ladder. No I/O: the probe is in-process and holds nothing between calls.
 */
let probe: McpHttpHandler | undefined;

/** What the probe serves a request with `Mcp-Param-*` headers to check: the named tool and its catalog schema. */
interface ParamHeaderTarget {
  name: string;
  schema: Readonly<Record<string, unknown>>;
}

// The SDK hands the factory the very Request given to `fetch`, so each request finds its own tool (no shared state
// between concurrent classifications).
const paramHeaderTargets = new WeakMap<Request, ParamHeaderTarget>();

const PROBE_CAPABILITIES = { tools: {}, prompts: {}, resources: {}, completions: {}, logging: {} };
const TASK_METHODS = ["tasks/get", "tasks/update", "tasks/cancel"] as const;
const ANY_PARAMS = fromJsonSchema<Record<string, unknown>>({ type: "object" });

function probeHandler(): McpHttpHandler {
  probe ??= createMcpHandler(
    (context) => {
      const target = context.requestInfo && paramHeaderTargets.get(context.requestInfo);
      if (target) return new ParamHeaderProbe(target.name, target.schema, PROBE_CAPABILITIES);
      const server = new Server({ name: "mcp-gateway-ladder", version: "1" }, { capabilities: PROBE_CAPABILITIES });
      server.fallbackRequestHandler = () => Promise.resolve({});
      // The tasks extension re-defines tasks/get and tasks/cancel, which 2026-07-28 removed from core: the SDK lets
      // them through only to a server that registered them with its own schema. The gateway routes them (modern/tasks).
      for (const method of TASK_METHODS) server.setRequestHandler(method, { params: ANY_PARAMS }, () => ({}));
      return server;
    },
    { legacy: "reject" },
  );
  return probe;
}

/** The tool a `tools/call` names, with its schema, when the catalog knows it and it carries `x-mcp-header`. */
function paramHeaderTarget(body: unknown, tools: ToolSchemaLookup | undefined): ParamHeaderTarget | undefined {
  if (tools === undefined || body === null || typeof body !== "object") return undefined;
  const { method, params } = body as { method?: unknown; params?: unknown };
  if (method !== "tools/call" || params === null || typeof params !== "object") return undefined;
  const name = (params as { name?: unknown }).name;
  const schema = typeof name === "string" ? tools(name) : undefined;
  return schema && typeof name === "string" ? { name, schema } : undefined;
}

/** Reads the JSON-RPC error out of the probe's answer (JSON, or the first SSE data line); undefined when none. */
function errorOfAnswer(text: string): { code: number; message: string; data?: unknown } | undefined {
  const json = text.trimStart().startsWith("{")
    ? text
    : text
        .split(/\r?\n/)
        .find((line) => line.startsWith("data:"))
        ?.slice("data:".length);
  if (json === undefined) return undefined;
  try {
    const parsed = JSON.parse(json) as { error?: { code?: unknown; message?: unknown; data?: unknown } };
    const error = parsed.error;
    if (!error || typeof error.code !== "number") return undefined;
    return { code: error.code, message: typeof error.message === "string" ? error.message : "", data: error.data };
  } catch {
    return undefined;
  }
}

async function runLadder(
  headers: Readonly<Record<string, string>>,
  body: unknown,
  id: JsonRpcId,
  tools: ToolSchemaLookup | undefined,
): Promise<GatewayError | undefined> {
  let request: Request;
  try {
    const fields = Object.entries(headers).filter(([name]) => !name.startsWith(":") && name !== "content-length");
    request = new Request("http://gateway.invalid/mcp", { method: "POST", headers: fields });
  } catch {
    const message = "a request header value is not a valid HTTP field value";
    return new GatewayError(JsonRpcErrorCode.InvalidRequest, message, { httpStatus: 400, id });
  }
  const target = paramHeaderTarget(body, tools);
  if (target) paramHeaderTargets.set(request, target);
  const answer = await probeHandler().fetch(request, { parsedBody: body });
  const text = await answer.text();
  const error = errorOfAnswer(text);
  if (answer.status >= 200 && answer.status < 300 && error === undefined) return undefined;
  if (error === undefined) {
    const message = `request refused by the protocol's validation (HTTP ${answer.status})`;
    return new GatewayError(JsonRpcErrorCode.InvalidRequest, message, { httpStatus: answer.status, id });
  }
  return ladderError(answer.status, error.code, error.message, error.data, id);
}

/**
 * Decides the era of one HTTP request with the SDK's own ladder: `legacy` (today's session path, unchanged),
 * `modern` (the 2026-07-28 path, with the SDK-proved message) or `reject` (the SDK's HTTP status, JSON-RPC code,
 * message and data, answering the request id). `headers` are lower-case; `body` is the parsed JSON (undefined for
 * body-less methods). `tools` gives the schemas of the gateway's tools: a `tools/call` of a tool with `x-mcp-header`
 * annotations then has its `Mcp-Param-*` headers checked against the body by the SDK (400/-32020), whichever
 * generation the upstream speaks. Never throws.
 */
export async function classifyRequest(
  headers: Readonly<Record<string, string>>,
  httpMethod: string,
  body: unknown,
  tools?: ToolSchemaLookup,
): Promise<RequestEra> {
  // A 2025 client's session call is proved legacy without the SDK's three schema parses (see legacy-precheck.ts).
  const version = Object.hasOwn(headers, PROTOCOL_VERSION) ? headers[PROTOCOL_VERSION] : undefined;
  if (httpMethod === "POST" && provablyLegacyRequest(version, body)) return { era: "legacy" };
  const id = requestIdOf(body);
  try {
    const outcome = classifyInboundRequest({
      httpMethod,
      ...(Object.hasOwn(headers, PROTOCOL_VERSION) && { protocolVersionHeader: headers[PROTOCOL_VERSION] }),
      ...(Object.hasOwn(headers, MCP_METHOD) && { mcpMethodHeader: headers[MCP_METHOD] }),
      ...(Object.hasOwn(headers, MCP_NAME) && { mcpNameHeader: headers[MCP_NAME] }),
      body,
    });
    if (outcome.kind === "legacy") return { era: "legacy" };
    if (outcome.kind === "reject")
      return { era: "reject", error: ladderError(outcome.httpStatus, outcome.code, outcome.message, outcome.data, id) };
    // A body claiming a 2025 revision through the envelope is classified "modern" with a legacy era: the SDK's
    // entry answers it with -32022 (this gateway serves 2025 revisions only on the session path).
    if (outcome.messageKind === "request" && !STREAMING_METHODS.has(outcome.message.method)) {
      const refused = await runLadder(headers, body, id, tools);
      if (refused) return { era: "reject", error: refused };
    }
    return { era: "modern", message: outcome.message, classification: outcome.classification };
  } catch (error: unknown) {
    return { era: "reject", error: GatewayError.from(error, id) };
  }
}
