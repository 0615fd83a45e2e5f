import { ToolCallAssembler } from "./chat-stream";

describe("ToolCallAssembler", () => {
  it("joins two parallel calls streamed in pieces, in index order", () => {
    const assembler = new ToolCallAssembler();
    assembler.add([{ index: 1, id: "call_b", type: "function", function: { name: "notes_list", arguments: "" } }]);
    assembler.add([{ index: 0, id: "call_a", type: "function", function: { name: "weather_get", arguments: '{"ci' } }]);
    assembler.add([{ index: 0, function: { arguments: 'ty":"Paris"}' } }]);
    assembler.add([{ index: 1, function: { arguments: "{}" } }]);
    expect(assembler.result()).toEqual([
      { id: "call_a", name: "weather_get", arguments: '{"city":"Paris"}' },
      { id: "call_b", name: "notes_list", arguments: "{}" },
    ]);
  });

  it("ignores a chunk without tool_calls", () => {
    const assembler = new ToolCallAssembler();
    assembler.add(undefined);
    expect(assembler.result()).toEqual([]);
  });
});
