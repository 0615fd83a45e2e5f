import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import {
  ElicitResultSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  McpError,
  type GetPromptResult,
  type Prompt,
  type ServerNotification,
  type ServerRequest,
} from "@modelcontextprotocol/sdk/types.js";
import { listedPromptDescription, type ListGenerations } from "./fixture-list-generations";
import { RED_PIXEL_PNG_BASE64 } from "./fixture-media";

/** One prompt: what `prompts/list` shows and how `prompts/get` renders it from its (validated) arguments. */
interface FixturePrompt {
  readonly definition: Prompt;
  render(args: Record<string, string>): GetPromptResult["messages"];
}

/** Every fixture prompt, in the order `prompts/list` returns them. */
export const FIXTURE_PROMPTS: readonly FixturePrompt[] = [
  {
    definition: { name: "test_simple_prompt", description: "A simple prompt without arguments" },
    render: () => [{ role: "user", content: { type: "text", text: "This is a simple prompt for testing." } }],
  },
  {
    definition: {
      name: "test_prompt_with_arguments",
      description: "A prompt that substitutes two required arguments",
      arguments: [
        { name: "arg1", description: "First test argument", required: true },
        { name: "arg2", description: "Second test argument", required: true },
      ],
    },
    render: ({ arg1, arg2 }) => [
      { role: "user", content: { type: "text", text: `Prompt with arguments: arg1='${arg1}', arg2='${arg2}'` } },
    ],
  },
  {
    definition: {
      name: "test_prompt_with_embedded_resource",
      description: "A prompt that embeds a text resource",
      arguments: [{ name: "resourceUri", description: "URI of the resource to embed", required: true }],
    },
    render: ({ resourceUri = "" }) => [
      {
        role: "user",
        content: {
          type: "resource",
          resource: { uri: resourceUri, mimeType: "text/plain", text: "Embedded resource content for testing." },
        },
      },
      { role: "user", content: { type: "text", text: "Please process the embedded resource above." } },
    ],
  },
  {
    definition: { name: "test_prompt_with_image", description: "A prompt that carries a PNG image" },
    render: () => [
      { role: "user", content: { type: "image", data: RED_PIXEL_PNG_BASE64, mimeType: "image/png" } },
      { role: "user", content: { type: "text", text: "Please analyze the image above." } },
    ],
  },
];

const BY_NAME = new Map(FIXTURE_PROMPTS.map((prompt) => [prompt.definition.name, prompt]));

/** The prompt of input-required-result-non-tool-request, the 2025 way: prompts/get asks (elicitation) first. */
export const BRIDGED_PROMPT: Prompt = {
  name: "test_input_required_result_prompt",
  description: "Asks for the context (elicitation/create) before rendering",
};

async function renderBridgedPrompt(
  extra: RequestHandlerExtra<ServerRequest, ServerNotification>,
): Promise<GetPromptResult> {
  const requestedSchema = {
    type: "object" as const,
    properties: { context: { type: "string" as const } },
    required: ["context"],
  };
  const answer = await extra.sendRequest(
    { method: "elicitation/create", params: { message: "What context should the prompt use?", requestedSchema } },
    ElicitResultSchema,
  );
  const context = answer.action === "accept" ? String(answer.content?.["context"]) : "none";
  return { messages: [{ role: "user", content: { type: "text", text: `Use the following context: ${context}` } }] };
}

/** Serves `prompts/list` and `prompts/get` on `server`; one listed description names the prompts generation. */
export function addFixturePrompts(server: Server, lists: ListGenerations): void {
  server.setRequestHandler(ListPromptsRequestSchema, () => ({
    prompts: [
      ...FIXTURE_PROMPTS.map(({ definition }) => ({
        ...definition,
        description: listedPromptDescription(definition.name, definition.description ?? "", lists),
      })),
      BRIDGED_PROMPT,
    ],
  }));
  server.setRequestHandler(GetPromptRequestSchema, (request, extra) => {
    const { name, arguments: args = {} } = request.params;
    if (name === BRIDGED_PROMPT.name) return renderBridgedPrompt(extra);
    const prompt = BY_NAME.get(name);
    if (prompt === undefined) throw new McpError(ErrorCode.InvalidParams, `Unknown prompt: ${name}`);
    const missing = (prompt.definition.arguments ?? []).filter((arg) => arg.required && args[arg.name] === undefined);
    if (missing.length > 0) {
      const names = missing.map((arg) => arg.name).join(", ");
      throw new McpError(ErrorCode.InvalidParams, `Prompt ${name} is missing required argument(s): ${names}`);
    }
    return { description: prompt.definition.description, messages: prompt.render(args) };
  });
}
