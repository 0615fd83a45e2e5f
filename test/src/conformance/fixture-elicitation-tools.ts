import { ElicitResultSchema, type ElicitRequestFormParams } from "@modelcontextprotocol/sdk/types.js";
import {
  NO_ARGUMENTS,
  requireString,
  stringArguments,
  textResult,
  type FixtureTool,
  type ToolContext,
} from "./fixture-tool";

// Tools that ask the client for user input (elicitation/create) on the call's SSE stream. The suite's client answers
// `accept` with content matching these schemas and checks the schemas it received field by field.

/** The form schema of an elicitation/create request. */
export type RequestedSchema = ElicitRequestFormParams["requestedSchema"];

/** test_elicitation's form: a username and an email address. */
export const USER_INFO: RequestedSchema = {
  type: "object",
  properties: {
    username: { type: "string", description: "User's response" },
    email: { type: "string", description: "User's email address" },
  },
  required: ["username", "email"],
};

/** SEP-1034: a default for every primitive type. */
export const WITH_DEFAULTS: RequestedSchema = {
  type: "object",
  properties: {
    name: { type: "string", description: "User name", default: "John Doe" },
    age: { type: "integer", description: "User age", default: 30 },
    score: { type: "number", description: "User score", default: 95.5 },
    status: { type: "string", description: "User status", enum: ["active", "inactive", "pending"], default: "active" },
    verified: { type: "boolean", description: "Verification status", default: true },
  },
};

function choices(titles: readonly string[]): { const: string; title: string }[] {
  return titles.map((title, index) => ({ const: `value${index + 1}`, title }));
}

/** SEP-1330: the five enum shapes (untitled/titled single-select, legacy enumNames, untitled/titled multi-select). */
export const ENUM_VARIANTS: RequestedSchema = {
  type: "object",
  properties: {
    untitledSingle: { type: "string", description: "Untitled single-select", enum: ["option1", "option2", "option3"] },
    titledSingle: {
      type: "string",
      description: "Titled single-select",
      oneOf: choices(["First Option", "Second Option", "Third Option"]),
    },
    legacyEnum: {
      type: "string",
      description: "Legacy titled enum (enumNames, deprecated)",
      enum: ["opt1", "opt2", "opt3"],
      enumNames: ["Option One", "Option Two", "Option Three"],
    },
    untitledMulti: {
      type: "array",
      description: "Untitled multi-select",
      items: { type: "string", enum: ["option1", "option2", "option3"] },
    },
    titledMulti: {
      type: "array",
      description: "Titled multi-select",
      items: { anyOf: choices(["First Choice", "Second Choice", "Third Choice"]) },
    },
  },
};

async function elicit(context: ToolContext, message: string, requestedSchema: RequestedSchema): Promise<string> {
  // Protocol.request refuses (throws) when the client declared no `elicitation` capability: that becomes a tool error.
  const result = await context.extra.sendRequest(
    { method: "elicitation/create", params: { message, requestedSchema } },
    ElicitResultSchema,
  );
  return `action=${result.action}, content=${JSON.stringify(result.content ?? {})}`;
}

/** Tools that request elicitation/create: free-form user info, SEP-1034 defaults and SEP-1330 enum variants. */
export const ELICITATION_TOOLS: readonly FixtureTool[] = [
  {
    definition: {
      name: "test_elicitation",
      description: "Asks the user (elicitation/create) for a username and an email address",
      inputSchema: stringArguments({ message: "The message to show the user" }),
    },
    run: async (args, context) =>
      textResult(`User response: ${await elicit(context, requireString(args, "message"), USER_INFO)}`),
  },
  {
    definition: {
      name: "test_elicitation_sep1034_defaults",
      description: "Elicits a form whose string, integer, number, enum and boolean fields all have defaults",
      inputSchema: NO_ARGUMENTS,
    },
    run: async (_args, context) =>
      textResult(`Elicitation completed: ${await elicit(context, "Please review and update the form", WITH_DEFAULTS)}`),
  },
  {
    definition: {
      name: "test_elicitation_sep1330_enums",
      description: "Elicits a form with all five enum variants of SEP-1330",
      inputSchema: NO_ARGUMENTS,
    },
    run: async (_args, context) =>
      textResult(`Elicitation completed: ${await elicit(context, "Please select options", ENUM_VARIANTS)}`),
  },
];
