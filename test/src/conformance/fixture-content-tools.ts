import type { CallToolResult, Tool } from "@modelcontextprotocol/sdk/types.js";
import { RED_PIXEL_PNG_BASE64, SILENT_WAV_BASE64 } from "./fixture-media";
import { NO_ARGUMENTS, textResult, type FixtureTool } from "./fixture-tool";

/** A tool whose answer depends on its arguments only: both fixture generations serve these unchanged. */
export interface StaticContentTool {
  readonly definition: Tool;
  answer(args: Record<string, unknown>): CallToolResult;
}

// Tools whose result is fixed content: the suite's tools-call-* scenarios check the block types, data and mimeType.

// SEP-1613 ($schema, $defs, $ref, additionalProperties) and SEP-2106 ($anchor, composition and conditional keywords):
// tools/list must carry them verbatim.
const JSON_SCHEMA_2020_12: Tool["inputSchema"] = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  type: "object",
  $defs: {
    address: {
      $anchor: "addressDef",
      type: "object",
      properties: { street: { type: "string" }, city: { type: "string" } },
    },
  },
  properties: {
    name: { type: "string" },
    address: { $ref: "#/$defs/address" },
    contactMethod: { type: "string", enum: ["phone", "email"] },
    phone: { type: "string" },
    email: { type: "string" },
  },
  allOf: [{ anyOf: [{ required: ["phone"] }, { required: ["email"] }] }],
  if: { properties: { contactMethod: { const: "phone" } }, required: ["contactMethod"] },
  then: { required: ["phone"] },
  else: { required: ["email"] },
  additionalProperties: false,
};

/** Tools that answer fixed text, image, audio, embedded-resource, mixed or error content. */
export const STATIC_CONTENT_TOOLS: readonly StaticContentTool[] = [
  {
    definition: { name: "test_simple_text", description: "Returns one text block", inputSchema: NO_ARGUMENTS },
    answer: () => textResult("This is a simple text response for testing."),
  },
  {
    definition: { name: "test_image_content", description: "Returns a 1x1 PNG image", inputSchema: NO_ARGUMENTS },
    answer: () => ({ content: [{ type: "image", data: RED_PIXEL_PNG_BASE64, mimeType: "image/png" }] }),
  },
  {
    definition: { name: "test_audio_content", description: "Returns a short WAV clip", inputSchema: NO_ARGUMENTS },
    answer: () => ({ content: [{ type: "audio", data: SILENT_WAV_BASE64, mimeType: "audio/wav" }] }),
  },
  {
    definition: {
      name: "test_embedded_resource",
      description: "Returns an embedded text resource",
      inputSchema: NO_ARGUMENTS,
    },
    answer: () => ({
      content: [
        {
          type: "resource",
          resource: {
            uri: "test://embedded-resource",
            mimeType: "text/plain",
            text: "This is an embedded resource content.",
          },
        },
      ],
    }),
  },
  {
    definition: {
      name: "test_multiple_content_types",
      description: "Returns text, image and embedded resource blocks",
      inputSchema: NO_ARGUMENTS,
    },
    answer: () => ({
      content: [
        { type: "text", text: "Multiple content types test:" },
        { type: "image", data: RED_PIXEL_PNG_BASE64, mimeType: "image/png" },
        {
          type: "resource",
          resource: {
            uri: "test://mixed-content-resource",
            mimeType: "application/json",
            text: JSON.stringify({ test: "data", value: 123 }),
          },
        },
      ],
    }),
  },
  {
    definition: {
      name: "test_error_handling",
      description: "Always fails with a tool error (isError: true)",
      inputSchema: NO_ARGUMENTS,
    },
    answer: () => ({
      isError: true,
      content: [{ type: "text", text: "This tool intentionally returns an error for testing" }],
    }),
  },
  {
    definition: {
      name: "json_schema_2020_12_tool",
      description: "Tool with JSON Schema 2020-12 features",
      inputSchema: JSON_SCHEMA_2020_12,
    },
    answer: (args) => textResult(`JSON Schema 2020-12 tool called with: ${JSON.stringify(args)}`),
  },
];

/** The static content tools as SDK v1 fixture tools. */
export const CONTENT_TOOLS: readonly FixtureTool[] = STATIC_CONTENT_TOOLS.map((tool) => ({
  definition: tool.definition,
  run: async (args) => tool.answer(args),
}));
