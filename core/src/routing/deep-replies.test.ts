import { Redactor, type ResultRedactor } from "../sanitize";
import { MAX_REPLY_DEPTH } from "./reply-message";
import { replyRewriter, rewriteWhole } from "./reply-rewriter";
import { SanitizeFailure } from "./sanitize-failure";

// A malicious upstream's reply nested far deeper than any result: the gateway must refuse it (fail closed under
// sanitization), never overflow the stack in the redactor or when re-serializing a rewritten message.
const redactor = new Redactor([{ keys: ["password"], patterns: [] }]).forCall({
  server: "deep",
  method: "tools/call",
  target: "t",
}) as ResultRedactor;
const origin = { name: "deep", prefix: "deep_" };
const nested = (levels: number): string => '{"a":'.repeat(levels) + "1" + "}".repeat(levels);
const deepResult = (levels: number): string =>
  `{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"resource_link","uri":"x://y","name":"n"}],"deep":${nested(levels)}}}`;
// A server-to-client request: its id is always rewritten, so the message is always re-serialized.
const deepRequest = (levels: number): string =>
  `{"jsonrpc":"2.0","id":1,"method":"sampling/createMessage","params":${nested(levels)}}`;

describe.each([
  ["JSON", "application/json", (text: string) => text],
  ["SSE", "text/event-stream", (text: string) => `data: ${text}\n\n`],
])("deep upstream replies (%s)", (_label, contentType, frame) => {
  it.each([
    ["a result", deepResult],
    ["a server request", deepRequest],
  ])("replaces %s nested 10^5 deep by a -32603 error under sanitization", (_what, build) => {
    const rewriter = replyRewriter(
      { "content-type": contentType },
      { server: origin, method: "tools/call", requestId: 7, redactor },
    );
    const out = rewriteWhole(rewriter!, Buffer.from(frame(build(100_000)))).toString();
    const body = contentType === "application/json" ? out : out.replace(/^data: /, "").trim();
    expect(JSON.parse(body)).toMatchObject({ id: 7, error: { code: -32603 } });
  });

  it("fails a deep server request without sanitization closed, not with a stack overflow", () => {
    const rewriter = replyRewriter(
      { "content-type": contentType },
      { server: origin, method: "tools/call", requestId: 7 },
    );
    const whole = () => rewriteWhole(rewriter!, Buffer.from(frame(deepRequest(100_000))));
    // A JSON reply is one message: the caller answers the failure. An SSE stream ends with a -32603 error event.
    if (contentType === "application/json") expect(whole).toThrow(SanitizeFailure);
    else
      expect(
        JSON.parse(
          whole()
            .toString()
            .replace(/^data: /, ""),
        ),
      ).toMatchObject({ id: 7, error: { code: -32603 } });
  });

  it("passes a reply at the depth limit", () => {
    const rewriter = replyRewriter(
      { "content-type": contentType },
      { server: origin, method: "tools/call", requestId: 7, redactor },
    );
    // message → result → deep: the nested object starts at level 3.
    const out = rewriteWhole(rewriter!, Buffer.from(frame(deepResult(MAX_REPLY_DEPTH - 3))));
    expect(out.toString()).toContain("deep+x://y");
  });
});
