import { parseSse, type SseEvent } from "./sse";

const message = (data: string, id?: string): SseEvent => ({ event: "message", data, id });

describe("parseSse", () => {
  it.each<[string, string, SseEvent[]]>([
    ["one event", "data: x\n\n", [message("x")]],
    ["several events", "data: a\n\ndata: b\n\n", [message("a"), message("b")]],
    ["multi-line data, joined with LF", "data: a\ndata: b\ndata: c\n\n", [message("a\nb\nc")]],
    [
      "CRLF line ends",
      "event: message\r\nid: 7\r\ndata: {}\r\n\r\ndata: z\r\n\r\n",
      [message("{}", "7"), message("z")],
    ],
    ["CR line ends", "data: a\r\rdata: b\r\r", [message("a"), message("b")]],
    ["mixed line ends", "data: a\n\r\ndata: b\r\n\ndata: c\r\r\n", [message("a"), message("b"), message("c")]],
    ["multi-line data with CRLF", "data: a\r\ndata: b\r\n\r\n", [message("a\nb")]],
    ["comments, alone or inside an event", ": keep-alive\n\ndata: x\n: note\n\n", [message("x")]],
    ["an event name", "event: ping\ndata: 1\n\n", [{ event: "ping", data: "1", id: undefined }]],
    ["an empty event name (means message)", "event:\ndata: 1\n\n", [message("1")]],
    ["an id", "id: 42\ndata: 1\n\n", [message("1", "42")]],
    ["no space after the colon", "data:x\n\n", [message("x")]],
    ["only one leading space removed", "data:  x \n\n", [message(" x ")]],
    ["colons inside the value", 'data: {"a":"b:c"}\n\n', [message('{"a":"b:c"}')]],
    ["a data line without a colon (empty data)", "data\n\n", [message("")]],
    ["a block without data (not dispatched)", "event: ping\nid: 3\n\ndata: x\n\n", [message("x")]],
    ["unknown fields and retry (ignored)", "retry: 100\nfoo: bar\ndata: x\n\n", [message("x")]],
    ["a leading byte order mark", "\uFEFFdata: x\n\n", [message("x")]],
    [
      "a final event without the blank line (the reply is complete)",
      "data: a\n\ndata: b",
      [message("a"), message("b")],
    ],
    ["nothing", "", []],
  ])("parses %s", (_case, text, events) => {
    expect(parseSse(text)).toEqual(events);
  });

  it("does not carry an event name or id over to the next event", () => {
    expect(parseSse("event: ping\nid: 1\ndata: a\n\ndata: b\n\n")).toEqual([
      { event: "ping", data: "a", id: "1" },
      message("b"),
    ]);
  });
});
