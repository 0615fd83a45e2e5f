import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  McpError,
  type GetPromptResult,
  type Prompt,
} from "@modelcontextprotocol/sdk/types.js";
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

/** Serves `prompts/list` and `prompts/get` on `server`. */
export function addFixturePrompts(server: Server): void {
  server.setRequestHandler(ListPromptsRequestSchema, () => ({
    prompts: FIXTURE_PROMPTS.map((prompt) => prompt.definition),
  }));
  server.setRequestHandler(GetPromptRequestSchema, (request) => {
    const { name, arguments: args = {} } = request.params;
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
