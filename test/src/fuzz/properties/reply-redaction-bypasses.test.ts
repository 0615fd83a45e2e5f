import { SECRET, REPLY_BYPASSES, acceptedResults, throughGateway } from "./reply-redaction";
import { sdkClientReads } from "../../support/sdk-reply-reader";

// The gateway's output for an upstream reply cut into the given chunks, as the real SDK client reads it.
async function clientReading(contentType: string, chunks: Buffer[]) {
  const out = throughGateway([contentType], chunks);
  return sdkClientReads({ contentTypes: out.contentTypes, chunks: [out.body] });
}

describe("issue 9 hole 3: replies that carried a secret past redaction", () => {
  it.each(REPLY_BYPASSES.map((bypass) => [bypass.name, bypass] as const))(
    "%s: no result the SDK client accepts holds the secret, at every chunk split",
    async (_name, { contentType, body }) => {
      const bytes = Buffer.from(body);
      const splits = Array.from({ length: bytes.length + 1 }, (_, i) => [bytes.subarray(0, i), bytes.subarray(i)]);
      const leaked: string[] = [];
      for (const chunks of [...splits, Array.from(bytes, (byte) => Buffer.from([byte]))]) {
        const results = acceptedResults(await clientReading(contentType, chunks));
        leaked.push(...results.filter((result) => result.includes(SECRET)));
      }
      expect(leaked).toEqual([]);
    },
  );

  it.each(REPLY_BYPASSES.slice(0, 3).map((bypass) => [bypass.name, bypass] as const))(
    "%s: the client receives the result, redacted",
    async (_name, { contentType, body }) => {
      const results = acceptedResults(await clientReading(contentType, [Buffer.from(body)]));
      expect(results).toEqual([JSON.stringify({ content: [{ type: "text", text: "key [REDACTED]" }] })]);
    },
  );

  it.each(REPLY_BYPASSES.slice(3).map((bypass) => [bypass.name, bypass] as const))(
    "%s: the client receives a -32603 error in the reply's place",
    async (_name, { contentType, body }) => {
      const reading = await clientReading(contentType, [Buffer.from(body)]);
      expect(reading.messages).toEqual([
        expect.objectContaining({ id: 7, error: expect.objectContaining({ code: -32603 }) }),
      ]);
    },
  );
});
