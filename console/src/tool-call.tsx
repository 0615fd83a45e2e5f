import { useEffect, useRef, useState } from "preact/hooks";
import type { CallToolResult, Tool } from "@modelcontextprotocol/sdk/types.js";
import { asRecord, initialValue, missingRequired, type JsonSchema } from "./json-schema";
import { ObjectFields } from "./schema-form";
import type { CallEvent, McpSession } from "./mcp-session";
import { describeError, type Refusal } from "./refusal";
import { RefusalView } from "./refusal-view";
import { ToolResultView } from "./content-view";

/** Arguments edited two ways at once: the generated form and the raw JSON text beside it. */
function useArguments(schema: JsonSchema) {
  const [value, setValue] = useState<unknown>(() => initialValue(schema) ?? {});
  const [text, setText] = useState(() => JSON.stringify(value, null, 2));
  const [parseError, setParseError] = useState<string | undefined>();
  const fromForm = (next: unknown) => {
    setValue(next);
    setText(JSON.stringify(next, null, 2));
    setParseError(undefined);
  };
  const fromText = (next: string) => {
    setText(next);
    try {
      setValue(JSON.parse(next));
      setParseError(undefined);
    } catch (error: unknown) {
      setParseError(error instanceof Error ? error.message : String(error));
    }
  };
  return { value, text, parseError, fromForm, fromText };
}

/** One call at a time: its notifications, its result or refusal, and the controller that cancels it. */
function useToolCall(session: McpSession, name: string) {
  const [events, setEvents] = useState<CallEvent[]>([]);
  const [result, setResult] = useState<CallToolResult | undefined>();
  const [refusal, setRefusal] = useState<Refusal | undefined>();
  const [running, setRunning] = useState<AbortController | undefined>();
  const mounted = useRef(true);
  useEffect(() => () => void (mounted.current = false), []);
  const call = async (args: Record<string, unknown>) => {
    const controller = new AbortController();
    setRunning(controller);
    setEvents([]);
    setResult(undefined);
    setRefusal(undefined);
    try {
      const onEvent = (e: CallEvent) => mounted.current && setEvents((old) => [...old, e]);
      const answer = await session.callTool(name, args, onEvent, controller.signal);
      if (mounted.current) setResult(answer);
    } catch (error: unknown) {
      if (mounted.current) setRefusal(describeError(error));
    } finally {
      if (mounted.current) setRunning(undefined);
    }
  };
  return { events, result, refusal, running, call };
}

function Schemas({ tool }: { tool: Tool }) {
  return (
    <>
      <details>
        <summary>Input schema</summary>
        <pre>{JSON.stringify(tool.inputSchema, null, 2)}</pre>
      </details>
      {tool.outputSchema ? (
        <details>
          <summary>Output schema</summary>
          <pre>{JSON.stringify(tool.outputSchema, null, 2)}</pre>
        </details>
      ) : null}
    </>
  );
}

function Events({ events }: { events: CallEvent[] }) {
  return (
    <section aria-label="Notifications" aria-live="polite">
      {events.length > 0 ? (
        <ol class="events">
          {events.map((e, i) => (
            <li key={i} class={`event-${e.kind}`}>
              {e.kind}: {e.text}
            </li>
          ))}
        </ol>
      ) : null}
    </section>
  );
}

/** A tool's page: description, schema, the generated form with raw JSON, then the call's events and result. */
export function ToolCall({ tool, session }: { tool: Tool; session: McpSession }) {
  const schema = tool.inputSchema as JsonSchema;
  const args = useArguments(schema);
  const { events, result, refusal, running, call } = useToolCall(session, tool.name);
  const missing = missingRequired(schema, args.value);
  const submit = (event: Event) => {
    event.preventDefault();
    void call(asRecord(args.value));
  };
  return (
    <article class="tool" aria-labelledby="tool-title">
      <h2 id="tool-title">{tool.title ?? tool.name}</h2>
      <p class="tool-name">{tool.name}</p>
      {tool.description ? <p class="description">{tool.description}</p> : null}
      <Schemas tool={tool} />
      <form class="call-form" onSubmit={submit} aria-label={`Call ${tool.name}`}>
        <div class="form-columns">
          <fieldset class="generated">
            <legend>Arguments</legend>
            <ObjectFields id="arg" schema={schema} value={args.value} onChange={args.fromForm} />
          </fieldset>
          <div class="field raw">
            <label for="raw-json">Arguments as JSON</label>
            <textarea
              id="raw-json"
              rows={8}
              spellcheck={false}
              value={args.text}
              onInput={(e) => args.fromText(e.currentTarget.value)}
            />
            {args.parseError ? <p class="hint">Invalid JSON: {args.parseError}</p> : null}
          </div>
        </div>
        {missing.length > 0 ? <p class="hint">Missing required: {missing.join(", ")}</p> : null}
        <div class="actions">
          <button type="submit" disabled={running !== undefined || args.parseError !== undefined}>
            Call tool
          </button>
          <button
            type="button"
            disabled={running === undefined}
            onClick={() => running?.abort("cancelled by the user")}
          >
            Cancel call
          </button>
        </div>
      </form>
      <Events events={events} />
      {running ? <p role="status">Calling {tool.name}…</p> : null}
      {refusal ? <RefusalView refusal={refusal} /> : null}
      {result ? <ToolResultView result={result} /> : null}
    </article>
  );
}
