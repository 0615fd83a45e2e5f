import { useState } from "preact/hooks";
import type { GetPromptResult, Prompt } from "@modelcontextprotocol/sdk/types.js";
import type { McpSession } from "./mcp-session";
import { describeError, type Refusal } from "./refusal";
import { RefusalView } from "./refusal-view";
import { PromptView } from "./content-view";
import { SearchableList } from "./searchable-list";

function PromptForm({ prompt, session }: { prompt: Prompt; session: McpSession }) {
  const [args, setArgs] = useState<Record<string, string>>({});
  const [result, setResult] = useState<GetPromptResult | undefined>();
  const [refusal, setRefusal] = useState<Refusal | undefined>();
  const submit = async (event: Event) => {
    event.preventDefault();
    setResult(undefined);
    setRefusal(undefined);
    try {
      setResult(await session.getPrompt(prompt.name, args));
    } catch (error: unknown) {
      setRefusal(describeError(error));
    }
  };
  return (
    <article aria-labelledby="prompt-title">
      <h2 id="prompt-title">{prompt.title ?? prompt.name}</h2>
      {prompt.description ? <p class="description">{prompt.description}</p> : null}
      <form onSubmit={(e) => void submit(e)} aria-label={`Get prompt ${prompt.name}`}>
        {(prompt.arguments ?? []).map((arg) => (
          <div class="field" key={arg.name}>
            <label for={`prompt-arg-${arg.name}`}>
              {arg.name}
              {arg.required ? " (required)" : ""}
            </label>
            <input
              id={`prompt-arg-${arg.name}`}
              type="text"
              required={arg.required === true}
              value={Object.hasOwn(args, arg.name) ? args[arg.name] : ""}
              onInput={(e) => setArgs({ ...args, [arg.name]: e.currentTarget.value })}
            />
            {arg.description ? <p class="hint">{arg.description}</p> : null}
          </div>
        ))}
        <button type="submit">Get prompt</button>
      </form>
      {refusal ? <RefusalView refusal={refusal} /> : null}
      {result ? <PromptView result={result} /> : null}
    </article>
  );
}

/** The consumer's prompts: search, pick, fill the arguments, get the messages. */
export function PromptsView({ prompts, session }: { prompts: Prompt[]; session: McpSession }) {
  const [chosen, setChosen] = useState<Prompt | undefined>(prompts[0]);
  const entries = prompts.map((p) => ({
    key: p.name,
    name: p.name,
    ...(p.description ? { description: p.description } : {}),
  }));
  return (
    <div class="split">
      <SearchableList
        label="Prompts"
        entries={entries}
        {...(chosen ? { chosen: chosen.name } : {})}
        onChoose={(n) => setChosen(prompts.find((p) => p.name === n))}
      />
      {chosen ? (
        <PromptForm key={chosen.name} prompt={chosen} session={session} />
      ) : (
        <p>No prompt is available to this key.</p>
      )}
    </div>
  );
}
