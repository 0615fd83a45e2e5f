/**
 * How many times each fixture list was changed by its trigger tool. One object per fixture process, shared by every
 * session (SDK v1 fixture) or request (2026 fixture): a change made through one session is seen by all of them,
 * including an aggregating gateway's own discovery session, which re-lists on list_changed and only announces a
 * list that really changed.
 */
export interface ListGenerations {
  /** Bumped by test_trigger_tool_change. */
  tools: number;
  /** Bumped by test_trigger_prompt_change. */
  prompts: number;
}

/** The tool whose description carries the tools generation: names never change, the suite calls tools by name. */
export const GENERATION_TOOL = "test_trigger_tool_change";

/** The prompt whose description carries the prompts generation. */
export const GENERATION_PROMPT = "test_simple_prompt";

/** Fresh counters: generation 0 lists every description exactly as written. */
export function createListGenerations(): ListGenerations {
  return { tools: 0, prompts: 0 };
}

function withGeneration(description: string, generation: number): string {
  return generation === 0 ? description : `${description} (list generation ${generation})`;
}

/** A tool's description as listed now: the carrier tool's text names the current tools generation. */
export function listedToolDescription(name: string, description: string, lists: ListGenerations): string {
  return name === GENERATION_TOOL ? withGeneration(description, lists.tools) : description;
}

/** A prompt's description as listed now: the carrier prompt's text names the current prompts generation. */
export function listedPromptDescription(name: string, description: string, lists: ListGenerations): string {
  return name === GENERATION_PROMPT ? withGeneration(description, lists.prompts) : description;
}
