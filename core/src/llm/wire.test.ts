import { chatRoundRequest, chatToolCalls, checkChatRequest } from "./chat-wire";
import { mcpCallItem, responsesInput, responsesRoundRequest, responsesToolCalls } from "./responses-wire";
import { offerTools } from "./tool-offer";
import { toolResultOutcome } from "./tool-results";
import { addUsage, readUsage } from "./usage";

const tools = offerTools([
  { name: "weather_get_forecast", description: "Forecast", inputSchema: { type: "object", properties: {} } },
  { name: "docs.v2_search", inputSchema: { type: "object" } },
]);

describe("offerTools", () => {
  it("keeps function-safe names and makes others safe", () => {
    expect(tools.map((tool) => [tool.fn, tool.mcpName])).toEqual([
      ["weather_get_forecast", "weather_get_forecast"],
      ["docs_v2_search", "docs.v2_search"],
    ]);
  });

  it("numbers a clash; a function-safe name keeps itself", () => {
    const clashing = offerTools([
      { name: "a.b", inputSchema: {} },
      { name: "a_b", inputSchema: {} },
    ]);
    expect(clashing.map((tool) => tool.fn)).toEqual(["a_b_2", "a_b"]);
  });
});

describe("Chat Completions wire", () => {
  it("refuses a request's own tools", () => {
    expect(() =>
      checkChatRequest({ messages: [{ role: "user", content: "x" }], tools: [{ type: "function" }] }),
    ).toThrow(/tools are not accepted/);
  });

  it("builds a round: the client's fields, the tools, the capped max tokens, usage asked for when streaming", () => {
    const request = chatRoundRequest(
      { model: "x", messages: [], temperature: 0.2, max_tokens: 9999, tools: [] },
      { model: "gpt-4o", messages: [{ role: "user" }], tools, maxTokens: 100, stream: true },
    );
    expect(request).toMatchObject({ model: "gpt-4o", temperature: 0.2, max_tokens: 100, stream: true });
    expect(request["stream_options"]).toEqual({ include_usage: true });
    expect(request["tools"]).toEqual([
      {
        type: "function",
        function: {
          name: "weather_get_forecast",
          description: "Forecast",
          parameters: { type: "object", properties: {} },
        },
      },
      { type: "function", function: { name: "docs_v2_search", description: "", parameters: { type: "object" } } },
    ]);
  });

  it("reads an assistant message's tool calls", () => {
    const message = { tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: "{}" } }] };
    expect(chatToolCalls(message)).toEqual([{ id: "c1", fn: "f", arguments: "{}" }]);
  });
});

describe("Responses wire", () => {
  it("takes a string input as one user message", () => {
    expect(responsesInput({ input: "hi" })).toEqual([{ type: "message", role: "user", content: "hi" }]);
  });

  it.each(["previous_response_id", "conversation"])(
    "refuses %s: provider state is shared by every consumer",
    (field) => {
      expect(() => responsesInput({ input: "hi", [field]: "resp_someone_elses" })).toThrow(
        new RegExp(`${field} is not supported`),
      );
    },
  );

  it("offers function tools in the Responses form, without tools past the round cap", () => {
    const offered = responsesRoundRequest(
      { input: "x" },
      { model: "m", input: [], tools, maxTokens: undefined, stream: false },
    );
    expect((offered["tools"] as unknown[])[0]).toEqual({
      type: "function",
      name: "weather_get_forecast",
      description: "Forecast",
      parameters: { type: "object", properties: {} },
    });
    const last = responsesRoundRequest(
      { input: "x", tool_choice: "required" },
      { model: "m", input: [], tools: undefined, maxTokens: 5, stream: false },
    );
    expect(last).toEqual({ model: "m", input: [], max_output_tokens: 5 });
  });

  it("reads function_call items and reports calls as mcp_call items", () => {
    const calls = responsesToolCalls([
      { type: "message" },
      { type: "function_call", call_id: "c1", name: "f", arguments: "{}" },
    ]);
    expect(calls).toEqual([{ id: "c1", fn: "f", arguments: "{}" }]);
    const failed = mcpCallItem(
      { ...calls[0]!, tool: "weather_f" },
      { text: "Tool call refused: no", outcome: "refused" },
    );
    expect(failed).toMatchObject({
      type: "mcp_call",
      name: "weather_f",
      status: "failed",
      error: "Tool call refused: no",
      output: null,
    });
  });
});

describe("tool results and usage", () => {
  it("serializes content blocks: text as is, images as a placeholder, isError marked", () => {
    const result = toolResultOutcome({
      content: [
        { type: "text", text: "sunny" },
        { type: "image", mimeType: "image/png", data: "AAAA" },
      ],
      isError: true,
    });
    expect(result).toEqual({
      text: "Tool error: sunny\n[image image/png of 3 bytes, not shown]",
      outcome: "tool_error",
    });
  });

  it("adds usage of both wire formats", () => {
    const total = addUsage(
      readUsage({ prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 }),
      readUsage({ input_tokens: 1, output_tokens: 2 }),
    );
    expect(total).toEqual({ input: 4, output: 6, total: 10 });
  });
});
