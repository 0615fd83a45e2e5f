import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import { RED_PIXEL_PNG_BASE64, SILENT_WAV_BASE64 } from "./fixture-media";
import { NO_ARGUMENTS, textResult, type FixtureTool } from "./fixture-tool";

// Tools whose result is fixed content: the suite's tools-call-* scenarios check the block types, data and mimeType.

const JSON_SCHEMA_2020_12: Tool["inputSchema"] = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  type: "object",
  $defs: {
    address: { type: "object", properties: { street: { type: "string" }, city: { type: "string" } } },
  },
  properties: { name: { type: "string" }, address: { $ref: "#/$defs/address" } },
  additionalProperties: false,
};

/** Tools that answer fixed text, image, audio, embedded-resource, mixed or error content. */
export const CONTENT_TOOLS: readonly FixtureTool[] = [
  {
    definition: { name: "test_simple_text", description: "Returns one text block", inputSchema: NO_ARGUMENTS },
    run: async () => textResult("This is a simple text response for testing."),
  },
  {
    definition: { name: "test_image_content", description: "Returns a 1x1 PNG image", inputSchema: NO_ARGUMENTS },
    run: async () => ({ content: [{ type: "image", data: RED_PIXEL_PNG_BASE64, mimeType: "image/png" }] }),
  },
  {
    definition: { name: "test_audio_content", description: "Returns a short WAV clip", inputSchema: NO_ARGUMENTS },
    run: async () => ({ content: [{ type: "audio", data: SILENT_WAV_BASE64, mimeType: "audio/wav" }] }),
  },
  {
    definition: {
      name: "test_embedded_resource",
      description: "Returns an embedded text resource",
      inputSchema: NO_ARGUMENTS,
    },
    run: async () => ({
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
    run: async () => ({
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
    run: async () => ({
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
    run: async (args) => textResult(`JSON Schema 2020-12 tool called with: ${JSON.stringify(args)}`),
  },
];
