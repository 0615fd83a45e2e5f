import {
  ResourceTemplate,
  fromJsonSchema,
  inputRequired,
  type GetPromptResult,
  type McpServer,
  type ServerContext,
} from "@modelcontextprotocol/server";
import { completeFixtureArgument } from "./fixture-completion";
import { listedPromptDescription, type ListGenerations } from "./fixture-list-generations";
import { FIXTURE_PROMPTS } from "./fixture-prompts";
import { DATA_TEMPLATE, FIXTURE_RESOURCES, readFixtureResource } from "./fixture-resources";
import { accepted } from "./modern-fixture-tools";

// The same prompts, resources and completions as the SDK v1 fixture, registered on an SDK v2 McpServer, which adds
// the 2026 result fields (resultType, ttlMs/cacheScope) and answers an unknown resource URI per SEP-2164 itself.

function promptArgsSchema(args: readonly { name: string; description?: string; required?: boolean }[]) {
  const properties = Object.fromEntries(
    args.map((arg) => [arg.name, { type: "string", description: arg.description }]),
  );
  const required = args.filter((arg) => arg.required === true).map((arg) => arg.name);
  return fromJsonSchema<Record<string, string>>({ type: "object", properties, required });
}

function registerPrompts(mcp: McpServer, lists: ListGenerations): void {
  for (const prompt of FIXTURE_PROMPTS) {
    const { name, arguments: args } = prompt.definition;
    const description = listedPromptDescription(name, prompt.definition.description ?? "", lists);
    const render = (values: Record<string, string>): GetPromptResult => ({
      description: prompt.definition.description,
      messages: prompt.render(values) as GetPromptResult["messages"],
    });
    if (args === undefined || args.length === 0) mcp.registerPrompt(name, { description }, () => render({}));
    else mcp.registerPrompt(name, { description, argsSchema: promptArgsSchema(args) }, (values) => render(values));
  }
  // input-required-result-non-tool-request: prompts/get may answer input_required too.
  mcp.registerPrompt(
    "test_input_required_result_prompt",
    { description: "Asks for the context (elicitation) before rendering" },
    (ctx: ServerContext) => {
      const context = accepted(ctx, "user_context")?.["context"];
      if (typeof context === "string") {
        return {
          messages: [{ role: "user", content: { type: "text", text: `Use the following context: ${context}` } }],
        };
      }
      const requestedSchema = {
        type: "object" as const,
        properties: { context: { type: "string" as const } },
        required: ["context"],
      };
      return inputRequired({
        inputRequests: {
          user_context: inputRequired.elicit({ message: "What context should the prompt use?", requestedSchema }),
        },
      });
    },
  );
}

function registerResources(mcp: McpServer): void {
  for (const { definition } of FIXTURE_RESOURCES) {
    const { uri, name, description, mimeType } = definition;
    mcp.registerResource(name, uri, { description, mimeType }, () => ({ contents: [readFixtureResource(uri)] }));
  }
  const { uriTemplate, name, description, mimeType } = DATA_TEMPLATE;
  mcp.registerResource(
    name,
    new ResourceTemplate(uriTemplate, { list: undefined }),
    { description, mimeType },
    (uri) => ({ contents: [readFixtureResource(uri.toString())] }),
  );
}

/** Registers the fixture's prompts (plus the input-required prompt), resources and completions on `mcp`. */
export function registerModernCatalog(mcp: McpServer, lists: ListGenerations): void {
  registerPrompts(mcp, lists);
  registerResources(mcp);
  mcp.server.setRequestHandler("completion/complete", (request) => completeFixtureArgument(request.params));
}
