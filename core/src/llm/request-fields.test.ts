import { chatRoundRequest, checkChatRequest } from "./chat-wire";
import { responsesInput, responsesRoundRequest } from "./responses-wire";

const user = [{ role: "user", content: "hi" }];
const chat = (extra: Record<string, unknown>) => ({ messages: user, ...extra });
const round = { model: "gpt-4o", messages: user, tools: undefined, maxTokens: 100, stream: false };

describe("the client fields the provider gets", () => {
  it.each([
    ["n above 1 (multiplies the cost)", { n: 8 }, /n must be 1/],
    ["a priced service tier", { service_tier: "priority" }, /service_tier must be/],
    ["stored completions", { store: true }, /store must be false/],
    ["web search on the gateway's key", { web_search_options: {} }, /unsupported parameter "web_search_options"/],
    ["audio output", { audio: { voice: "alloy" }, modalities: ["audio"] }, /unsupported parameter "audio"/],
    ["legacy functions", { functions: [{ name: "x" }] }, /functions is not supported/],
    ["a prototype key", JSON.parse('{"__proto__": {"n": 99}}') as Record<string, unknown>, /"__proto__"/],
  ])("chat refuses %s", (_name, extra, message) => {
    expect(() => checkChatRequest(chat(extra))).toThrow(message);
  });

  it("chat accepts what SDKs send for 'not set' and the documented knobs", () => {
    expect(() =>
      checkChatRequest(chat({ n: 1, store: false, user: "u", temperature: 0, functions: null, service_tier: "auto" })),
    ).not.toThrow();
  });

  it("chat never forwards both max-token fields: the capped one alone", () => {
    const body = chat({ max_tokens: 10, max_completion_tokens: 1_000_000 });
    checkChatRequest(body);
    const request = chatRoundRequest(body, round);
    expect(request["max_tokens"]).toBe(100);
    expect(request["max_completion_tokens"]).toBeUndefined();
  });

  it.each([
    ["a stored prompt", { prompt: { id: "pmpt_1" } }, /prompt is not supported/],
    ["another consumer's conversation", { previous_response_id: "resp_1" }, /previous_response_id/],
    ["a priced service tier", { service_tier: "flex" }, /service_tier must be/],
    ["an unknown field", { max_tool_calls: 5, foo: 1 }, /unsupported parameter "max_tool_calls"/],
  ])("responses refuses %s", (_name, extra, message) => {
    expect(() => responsesInput({ input: "hi", ...extra })).toThrow(message);
  });

  it("responses passes only known fields to the provider", () => {
    const body = { input: "hi", instructions: "be brief", stream_options: { include_obfuscation: false } };
    const request = responsesRoundRequest(body, { ...round, input: responsesInput(body) });
    expect(Object.keys(request).sort()).toEqual(["input", "instructions", "max_output_tokens", "model"]);
  });
});

describe("the client content the provider gets", () => {
  const image = (url: string) => [{ role: "user", content: [{ type: "image_url", image_url: { url } }] }];

  it.each([
    ["an http image URL (the provider would fetch it)", image("http://169.254.169.254/latest/meta-data")],
    ["a stored file", [{ role: "user", content: [{ type: "file", file: { file_id: "file-1" } }] }]],
    ["an unknown part", [{ role: "user", content: [{ type: "web_page", url: "http://x" }] }]],
  ])("chat refuses %s", (_name, messages) => {
    expect(() => checkChatRequest({ messages })).toThrow(/messages\[0\]\.content\[0\]/);
  });

  it("chat accepts inline images and files", () => {
    const messages = [
      {
        role: "user",
        content: [
          { type: "text", text: "what is this" },
          { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } },
          { type: "file", file: { filename: "a.pdf", file_data: "data:application/pdf;base64,AAAA" } },
        ],
      },
    ];
    expect(() => checkChatRequest({ messages })).not.toThrow();
  });

  it.each([
    ["a stored item", { type: "item_reference", id: "msg_other" }],
    ["a hosted MCP approval", { type: "mcp_approval_response", approve: true, approval_request_id: "x" }],
    ["an image by URL", { role: "user", content: [{ type: "input_image", image_url: "https://evil.example/x" }] }],
    ["a stored image", { role: "user", content: [{ type: "input_image", file_id: "file-1" }] }],
    ["a file by URL", { role: "user", content: [{ type: "input_file", file_url: "http://10.0.0.1/" }] }],
    ["a non-object item", "hello"],
  ])("responses refuses %s", (_name, item) => {
    expect(() => responsesInput({ input: [item] })).toThrow(/input\[0\]/);
  });

  it("responses accepts a conversation with function calls, results and the gateway's mcp_call items", () => {
    const input = [
      { role: "user", content: [{ type: "input_text", text: "hi" }] },
      { type: "function_call", call_id: "c1", name: "f", arguments: "{}" },
      { type: "function_call_output", call_id: "c1", output: "ok" },
      { type: "mcp_call", id: "mcp_c1", server_label: "mcp-gateway", name: "f", arguments: "{}", output: "ok" },
    ];
    expect(responsesInput({ input })).toHaveLength(4);
  });
});
