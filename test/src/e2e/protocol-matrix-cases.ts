import { BRIDGED_PROMPT, FIXTURE_PROMPTS } from "../conformance/fixture-prompts";
import { DATA_TEMPLATE, FIXTURE_RESOURCES } from "../conformance/fixture-resources";
import { FIXTURE_TOOLS } from "../conformance/fixture-tools";
import { STATIC_CONTENT_TOOLS } from "../conformance/fixture-content-tools";
import { MRTR_TOOLS } from "../conformance/modern-fixture-mrtr-tools";
import { TASK_TOOLS } from "../conformance/modern-fixture-tasks";
import { MODERN_BASE_TOOLS } from "../conformance/modern-fixture-tools";
import { repeatUntil, withDeadline } from "../support/bounded-wait";
import {
  ELICITATION_ANSWER,
  type ClientKind,
  type MatrixClient,
  type SeenProgress,
  type ToolResult,
} from "./protocol-matrix-clients";

/** One upstream as a client reaches it: directly (empty prefixes) or through the gateway under its prefixes. */
export interface MatrixTarget {
  /** "2025 upstream" (the SDK v1 fixture) or "2026 upstream" (the SDK v2 fixture). */
  readonly label: string;
  readonly generation: "2025" | "2026";
  /** Put before tool and prompt names (`old_`); "" directly. */
  readonly toolPrefix: string;
  /** Scheme prefix of resource URIs (`old` gives `old+test://…`, docs/configuration.md `resourcePrefix`); "" directly. */
  readonly resourcePrefix: string;
}

/** One endpoint a client connects to (its URL is known once it runs): a fixture, or the gateway with both behind it. */
export interface MatrixEndpoint {
  readonly label: string;
  readonly targets: readonly MatrixTarget[];
  /** Whether it offers 2026-07-28 (server/discover): an `auto` client must then land on the modern era. */
  readonly offersModern: boolean;
  /** Name and URI prefixes of the endpoint's other upstreams (the stack's example servers), left out of lists. */
  readonly foreignPrefixes: readonly string[];
}

/** The text test_simple_text answers on both fixtures. */
export const SIMPLE_TEXT = "This is a simple text response for testing.";

/**
 * The URI a client sends and sees for the upstream's own `uri`: `<resourcePrefix>+<uri>` (issue item 10: the old
 * `<prefix><uri>` form, `old_test://…`, is no URI at all; `prefix: old_` implies `resourcePrefix: old`).
 */
export function exposedUri(target: MatrixTarget, uri: string): string {
  return target.resourcePrefix === "" ? uri : `${target.resourcePrefix}+${uri}`;
}

/** The era a client of `kind` must land on at `endpoint`. */
export function expectedEra(kind: ClientKind, endpoint: MatrixEndpoint): "legacy" | "modern" {
  if (kind === "SDK v1 client") return "legacy";
  if (kind === "SDK v2 client, pinned 2026-07-28") return "modern";
  return endpoint.offersModern ? "modern" : "legacy";
}

// What each fixture lists, by its own (unprefixed) names: the fixtures' definitions are the source of truth.
const TOOL_NAMES = {
  "2025": FIXTURE_TOOLS.map((tool) => tool.definition.name),
  "2026": [
    ...STATIC_CONTENT_TOOLS.map((tool) => tool.definition.name),
    ...[...MODERN_BASE_TOOLS, ...MRTR_TOOLS, ...TASK_TOOLS].map((t) => t.name),
  ],
};
// Both fixtures list the same prompts: the 2026 one registers its input-required prompt under the bridged one's name.
const PROMPT_NAMES = [...FIXTURE_PROMPTS.map((prompt) => prompt.definition.name), BRIDGED_PROMPT.name];
const RESOURCE_URIS = FIXTURE_RESOURCES.map((resource) => resource.definition.uri);

/** Tools, prompts, resources and templates of an endpoint's fixtures, as its clients must see them, sorted. */
export interface Catalog {
  tools: string[];
  prompts: string[];
  resources: string[];
  templates: string[];
}

/** The catalog a client must list at `endpoint`: every fixture item under its target's prefixes. */
export function expectedCatalog(endpoint: MatrixEndpoint): Catalog {
  const each = (pick: (target: MatrixTarget) => string[]): string[] => endpoint.targets.flatMap(pick).sort();
  return {
    tools: each((t) => TOOL_NAMES[t.generation].map((name) => t.toolPrefix + name)),
    prompts: each((t) => PROMPT_NAMES.map((name) => t.toolPrefix + name)),
    resources: each((t) => RESOURCE_URIS.map((uri) => exposedUri(t, uri))),
    templates: each((t) => [exposedUri(t, DATA_TEMPLATE.uriTemplate)]),
  };
}

/** What `client` lists at `endpoint`, without the other upstreams' items, sorted. */
export async function listedCatalog(client: MatrixClient, endpoint: MatrixEndpoint): Promise<Catalog> {
  const own = (names: string[]): string[] =>
    names.filter((name) => !endpoint.foreignPrefixes.some((prefix) => name.startsWith(prefix))).sort();
  return {
    tools: own(await client.listToolNames()),
    prompts: own(await client.listPromptNames()),
    resources: own(await client.listResourceUris()),
    templates: own(await client.listTemplateUris()),
  };
}

/** The text of a result's single text block, or a description of what came instead (so a diff says what went wrong). */
export function textOf(result: ToolResult): string {
  const [first, ...rest] = result.content;
  if (first?.type !== "text" || rest.length > 0) return `<not one text block: ${JSON.stringify(result)}>`;
  return `${result.isError === true ? "<isError> " : ""}${first.text ?? ""}`;
}

/** One operation of the matrix on one upstream: what the client observed, and what it must have observed. */
export interface MatrixCase {
  readonly name: string;
  run(client: MatrixClient, target: MatrixTarget): Promise<unknown>;
  expected(target: MatrixTarget, era: "legacy" | "modern"): unknown;
}

const PROMPT_ARGS = { arg1: "alpha", arg2: "beta" };
const TEMPLATE_URI = "test://template/matrix-7/data";

const simpleCall: MatrixCase = {
  name: "calls a text tool",
  run: async (client, t) => (await client.callTool(`${t.toolPrefix}test_simple_text`, {})).content,
  expected: () => [{ type: "text", text: SIMPLE_TEXT }],
};

const progressCall: MatrixCase = {
  name: "calls a tool with progress",
  run: async (client, t) => {
    const seen: SeenProgress[] = [];
    const result = await client.callTool(
      `${t.toolPrefix}test_tool_with_progress`,
      {},
      {
        onprogress: (p) => void seen.push({ progress: p.progress, total: p.total }),
      },
    );
    // The token is the SDK's own (its request id); the fixture echoes whatever arrived, so only its shape is fixed.
    const text = textOf(result).replace(/\(progressToken (\d+|"[^"]+")\)$/, "(progressToken <sdk token>)");
    return { progress: seen, text };
  },
  expected: () => ({
    progress: [0, 50, 100].map((progress) => ({ progress, total: 100 })),
    text: "Tool with progress executed successfully (progressToken <sdk token>)",
  }),
};

const readResource: MatrixCase = {
  name: "reads a resource and a template instance",
  run: async (client, t) => [
    ...(await client.readResource(exposedUri(t, "test://static-text"))).contents,
    ...(await client.readResource(exposedUri(t, TEMPLATE_URI))).contents,
  ],
  expected: (t) => [
    {
      uri: exposedUri(t, "test://static-text"),
      mimeType: "text/plain",
      text: "This is the content of the static text resource.",
    },
    {
      uri: exposedUri(t, TEMPLATE_URI),
      mimeType: "application/json",
      text: JSON.stringify({ id: "matrix-7", templateTest: true, data: "Data for ID: matrix-7" }),
    },
  ],
};

const promptWithArguments: MatrixCase = {
  name: "gets a prompt with arguments",
  run: async (client, t) => (await client.getPrompt(`${t.toolPrefix}test_prompt_with_arguments`, PROMPT_ARGS)).messages,
  expected: () => [
    { role: "user", content: { type: "text", text: "Prompt with arguments: arg1='alpha', arg2='beta'" } },
  ],
};

const elicitation: MatrixCase = {
  name: "answers an elicitation",
  run: async (client, t) => {
    const before = client.elicitations.length;
    const message = `matrix elicits through ${t.toolPrefix || "nothing"}`;
    const result = await client.callTool(`${t.toolPrefix}test_elicitation`, { message });
    return { asked: client.elicitations.slice(before), text: textOf(result) };
  },
  expected: (t) => ({
    asked: [{ message: `matrix elicits through ${t.toolPrefix || "nothing"}`, fields: ["username", "email"] }],
    text: `User response: action=accept, content=${JSON.stringify(ELICITATION_ANSWER)}`,
  }),
};

const sampling: MatrixCase = {
  name: "answers a sampling request",
  run: async (client, t) => {
    const before = client.samplings.length;
    const prompt = `matrix samples through ${t.toolPrefix || "nothing"}`;
    const result = await client.callTool(`${t.toolPrefix}test_sampling`, { prompt });
    return { asked: client.samplings.slice(before), text: textOf(result) };
  },
  expected: (t) => ({
    asked: [`matrix samples through ${t.toolPrefix || "nothing"}`],
    text: `LLM response: echo: matrix samples through ${t.toolPrefix || "nothing"}`,
  }),
};

// The legacy GET stream opens after initialize, asynchronously; a listen stream is open once listen() resolves.
const STREAM_OPEN_MS = 5_000;
// The trigger is repeated (a notification sent before the whole relay path is open is dropped by design) for a
// bounded time; one attempt waits this long for the notification.
const NOTIFY_ATTEMPT_MS = 1_000;
const NOTIFY_TOTAL_MS = 6_000;

// Each fixture's trigger really changes its tool list (the trigger tool's description names a new generation; every
// name stays) and announces it to everyone: the 2025 one on every session's GET stream, the 2026 one on its listen
// bus. Whatever the client's era, the announcement must reach it (through the gateway: the gateway's own aggregated
// list_changed, sent because the aggregated list really changed), and the list it then fetches shows the change.
const subscription: MatrixCase = {
  name: "delivers tools/list_changed after the upstream's list-change trigger",
  run: async (client, t) => {
    let honoredFilter: Record<string, unknown> | undefined;
    if (client.era === "modern") honoredFilter = await client.listenToolsListChanged();
    else await withDeadline(client.getStreamOpened, STREAM_OPEN_MS, "the GET notification stream");
    const before = client.toolsListChanged();
    const { first, done } = await repeatUntil(
      () => client.callTool(`${t.toolPrefix}test_trigger_tool_change`, {}),
      () => client.toolsListChanged() > before,
      { attemptMs: NOTIFY_ATTEMPT_MS, totalMs: NOTIFY_TOTAL_MS },
    );
    const path = client.era === "modern" ? "subscriptions/listen" : "GET stream";
    // Generation and session counts depend on how often the trigger ran (here and in earlier rows): only the shape.
    const trigger = textOf(first).replace(/\d+/g, "<n>");
    const description = await client.toolDescription(`${t.toolPrefix}test_trigger_tool_change`);
    const relisted = description?.replace(/\(list generation [1-9]\d*\)$/, "(list generation <n>)");
    return { path, honoredFilter, trigger, notified: done, relisted };
  },
  expected: (t, era) => ({
    path: era === "modern" ? "subscriptions/listen" : "GET stream",
    honoredFilter: era === "modern" ? { toolsListChanged: true } : undefined,
    trigger:
      t.generation === "2025"
        ? "tools list changed (generation <n>), announced to <n> session(s)"
        : "tools list changed (generation <n>), published",
    notified: true,
    relisted:
      t.generation === "2025"
        ? "Changes the tool list and announces it to every session (list generation <n>)"
        : "Changes the tool list and publishes notifications/tools/list_changed on the listen bus (list generation <n>)",
  }),
};

const CANCEL_REASON = "matrix cancels the call";

// Whichever way an SDK reports a call the caller aborted: the reason itself, or an error carrying its message.
function abortedBy(error: unknown, reason: Error): boolean {
  if (error === reason) return true;
  const text = error instanceof Error ? `${error.name} ${error.message} ${String(error.cause)}` : String(error);
  return text.includes(CANCEL_REASON);
}

const cancellation: MatrixCase = {
  name: "cancels a running call and stays usable",
  run: async (client, t) => {
    // test_tool_with_progress runs ~100 ms after its first progress update: abort on that first update, while the
    // upstream is still running it (deterministic for the client: the abort is synchronous in the callback).
    const controller = new AbortController();
    const reason = new Error(CANCEL_REASON);
    const outcome = await client
      .callTool(
        `${t.toolPrefix}test_tool_with_progress`,
        {},
        {
          signal: controller.signal,
          onprogress: () => controller.abort(reason),
        },
      )
      .then(
        (result) => `completed: ${textOf(result)}`,
        (error: unknown) => (abortedBy(error, reason) ? "aborted" : `failed: ${String(error)}`),
      );
    const next = await client.callTool(`${t.toolPrefix}test_simple_text`, {});
    return { outcome, next: textOf(next) };
  },
  expected: () => ({ outcome: "aborted", next: SIMPLE_TEXT }),
};

/** Every per-upstream operation of the matrix, in order. */
export const MATRIX_CASES: readonly MatrixCase[] = [
  simpleCall,
  progressCall,
  readResource,
  promptWithArguments,
  elicitation,
  sampling,
  subscription,
  cancellation,
];
