import { Client as ClientV1 } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport as TransportV1 } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ToolListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import {
  Client as ClientV2,
  StreamableHTTPClientTransport as TransportV2,
  type VersionNegotiationMode,
} from "@modelcontextprotocol/client";

/** The three clients of the matrix: SDK v1, SDK v2 probing (`auto`), SDK v2 pinned to 2026-07-28. */
export type ClientKind = "SDK v1 client" | "SDK v2 client, auto" | "SDK v2 client, pinned 2026-07-28";

/** Every client kind, in matrix order. */
export const CLIENT_KINDS: readonly ClientKind[] = [
  "SDK v1 client",
  "SDK v2 client, auto",
  "SDK v2 client, pinned 2026-07-28",
];

/** What the client's elicitation handler was asked: the message and the requested form's fields. */
export interface SeenElicitation {
  message: string;
  fields: string[];
}

/** What a call's progress callback saw. */
export interface SeenProgress {
  progress: number;
  total?: number;
}

/** Options of a tool call: progress callback and abort signal. */
export interface CallOptions {
  onprogress?: (progress: SeenProgress) => void;
  signal?: AbortSignal;
}

/** A result as the matrix reads it (both SDKs' results are plain JSON of this shape). */
export interface ToolResult {
  content: { type: string; text?: string }[];
  isError?: boolean;
}

/** A connected client of either SDK behind one interface, with the handlers the matrix needs already registered. */
export interface MatrixClient {
  readonly kind: ClientKind;
  /** The era the connection landed on. */
  readonly era: "legacy" | "modern";
  /** Elicitation requests the client's handler answered so far. */
  readonly elicitations: SeenElicitation[];
  /** The last user-message text of each sampling request the client's handler answered so far. */
  readonly samplings: string[];
  /** `notifications/tools/list_changed` received so far (GET stream or listen stream). */
  toolsListChanged(): number;
  /** Resolves when the legacy GET stream is open (the SDK opens it after initialize); never for modern clients. */
  readonly getStreamOpened: Promise<void>;
  listToolNames(): Promise<string[]>;
  /** The listed description of the tool `name` (undefined when it is not listed). */
  toolDescription(name: string): Promise<string | undefined>;
  listPromptNames(): Promise<string[]>;
  listResourceUris(): Promise<string[]>;
  listTemplateUris(): Promise<string[]>;
  callTool(name: string, args: Record<string, unknown>, options?: CallOptions): Promise<ToolResult>;
  readResource(uri: string): Promise<{ contents: unknown[] }>;
  getPrompt(name: string, args: Record<string, string>): Promise<{ messages: unknown[] }>;
  /** Opens `subscriptions/listen` for tool list changes (modern era only) and returns the honored filter. */
  listenToolsListChanged(): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

/** The answer the matrix clients give every elicitation (the fixtures' test_elicitation form). */
export const ELICITATION_ANSWER = { username: "matrix-user", email: "matrix@example.com" };
/** The model name the matrix clients' sampling handler reports. */
export const SAMPLING_MODEL = "matrix-model";
/** Bound on any single request, so a cell the gateway cannot serve fails in seconds, not at the SDK's 60 s. */
export const REQUEST_TIMEOUT_MS = 10_000;

const CAPABILITIES = { elicitation: { form: {} }, sampling: {} };
// One request per tool call, no resumption: a dropped stream is a failure here, not something to retry behind the
// test's back (the v1 SDK otherwise resumes a stream whose server made it resumable, with timers that outlive it).
const NO_RECONNECT = {
  maxRetries: 0,
  initialReconnectionDelay: 0,
  maxReconnectionDelay: 0,
  reconnectionDelayGrowFactor: 1,
};

interface Recorder {
  elicitations: SeenElicitation[];
  samplings: string[];
  listChanged: number;
  getOpened: () => void;
  getStreamOpened: Promise<void>;
}

function recorder(): Recorder {
  let getOpened: () => void = () => undefined;
  const getStreamOpened = new Promise<void>((resolve) => (getOpened = resolve));
  return { elicitations: [], samplings: [], listChanged: 0, getOpened, getStreamOpened };
}

// Notices the GET stream opening: the server drops messages outside any call while the client holds none.
function watchingFetch(record: Recorder): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    if (init?.method === "GET" && response.ok) record.getOpened();
    return response;
  };
}

interface ElicitParams {
  message: string;
  requestedSchema?: { properties?: Record<string, unknown> };
}

function answerElicitation(
  record: Recorder,
  params: ElicitParams,
): { action: "accept"; content: typeof ELICITATION_ANSWER } {
  record.elicitations.push({ message: params.message, fields: Object.keys(params.requestedSchema?.properties ?? {}) });
  return { action: "accept", content: ELICITATION_ANSWER };
}

interface SamplingParams {
  messages: { role: string; content: unknown }[];
}

function answerSampling(record: Recorder, params: SamplingParams) {
  const last = params.messages.at(-1)?.content as { type?: string; text?: string } | undefined;
  const prompt = last?.type === "text" && typeof last.text === "string" ? last.text : "<no text>";
  record.samplings.push(prompt);
  return {
    model: SAMPLING_MODEL,
    role: "assistant" as const,
    content: { type: "text" as const, text: `echo: ${prompt}` },
  };
}

async function connectV1(url: string, record: Recorder): Promise<MatrixClient> {
  const client = new ClientV1({ name: "matrix-v1", version: "1.0.0" }, { capabilities: CAPABILITIES });
  client.setRequestHandler(ElicitRequestSchema, (request) => answerElicitation(record, request.params as ElicitParams));
  client.setRequestHandler(CreateMessageRequestSchema, (request) => answerSampling(record, request.params));
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => void record.listChanged++);
  const transport = new TransportV1(new URL(url), { reconnectionOptions: NO_RECONNECT, fetch: watchingFetch(record) });
  await client.connect(transport, { timeout: REQUEST_TIMEOUT_MS });
  const options = { timeout: REQUEST_TIMEOUT_MS };
  return {
    kind: "SDK v1 client",
    era: "legacy",
    elicitations: record.elicitations,
    samplings: record.samplings,
    toolsListChanged: () => record.listChanged,
    getStreamOpened: record.getStreamOpened,
    listToolNames: async () => (await client.listTools(undefined, options)).tools.map((t) => t.name),
    toolDescription: async (name) =>
      (await client.listTools(undefined, options)).tools.find((t) => t.name === name)?.description,
    listPromptNames: async () => (await client.listPrompts(undefined, options)).prompts.map((p) => p.name),
    listResourceUris: async () => (await client.listResources(undefined, options)).resources.map((r) => r.uri),
    listTemplateUris: async () =>
      (await client.listResourceTemplates(undefined, options)).resourceTemplates.map((t) => t.uriTemplate),
    callTool: async (name, args, call = {}) =>
      (await client.callTool({ name, arguments: args }, undefined, { ...options, ...call })) as ToolResult,
    readResource: (uri) => client.readResource({ uri }, options),
    getPrompt: (name, args) => client.getPrompt({ name, arguments: args }, options),
    listenToolsListChanged: () => Promise.reject(new Error("subscriptions/listen is 2026-07-28 only")),
    close: () => client.close().catch(() => undefined),
  };
}

async function connectV2(url: string, kind: ClientKind, mode: VersionNegotiationMode, record: Recorder) {
  const client = new ClientV2(
    { name: "matrix-v2", version: "1.0.0" },
    { capabilities: CAPABILITIES, versionNegotiation: { mode } },
  );
  client.setRequestHandler("elicitation/create", (request) =>
    answerElicitation(record, request.params as ElicitParams),
  );
  client.setRequestHandler("sampling/createMessage", (request) => answerSampling(record, request.params));
  client.setNotificationHandler("notifications/tools/list_changed", () => void record.listChanged++);
  const transport = new TransportV2(new URL(url), { reconnectionOptions: NO_RECONNECT, fetch: watchingFetch(record) });
  await client.connect(transport, { timeout: REQUEST_TIMEOUT_MS });
  const options = { timeout: REQUEST_TIMEOUT_MS };
  const matrixClient: MatrixClient = {
    kind,
    era: client.getProtocolEra() === "modern" ? "modern" : "legacy",
    elicitations: record.elicitations,
    samplings: record.samplings,
    toolsListChanged: () => record.listChanged,
    getStreamOpened: record.getStreamOpened,
    listToolNames: async () => (await client.listTools(undefined, options)).tools.map((t) => t.name),
    toolDescription: async (name) =>
      (await client.listTools(undefined, options)).tools.find((t) => t.name === name)?.description,
    listPromptNames: async () => (await client.listPrompts(undefined, options)).prompts.map((p) => p.name),
    listResourceUris: async () => (await client.listResources(undefined, options)).resources.map((r) => r.uri),
    listTemplateUris: async () =>
      (await client.listResourceTemplates(undefined, options)).resourceTemplates.map((t) => t.uriTemplate),
    callTool: async (name, args, call = {}) =>
      (await client.callTool({ name, arguments: args }, { ...options, ...call })) as ToolResult,
    readResource: (uri) => client.readResource({ uri }, options),
    getPrompt: (name, args) => client.getPrompt({ name, arguments: args }, options),
    listenToolsListChanged: async () => {
      const subscription = await client.listen({ toolsListChanged: true }, options);
      return { ...subscription.honoredFilter };
    },
    close: () => client.close().catch(() => undefined),
  };
  return matrixClient;
}

/** Connects a client of `kind` to `url` (initialize, or the server/discover probe), handlers registered first. */
export function connectMatrixClient(kind: ClientKind, url: string): Promise<MatrixClient> {
  const record = recorder();
  switch (kind) {
    case "SDK v1 client":
      return connectV1(url, record);
    case "SDK v2 client, auto":
      return connectV2(url, kind, "auto", record);
    case "SDK v2 client, pinned 2026-07-28":
      return connectV2(url, kind, { pin: "2026-07-28" }, record);
  }
}
