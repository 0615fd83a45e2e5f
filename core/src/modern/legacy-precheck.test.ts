import fc from "fast-check";
import { classifyInboundRequest } from "@modelcontextprotocol/server";
import { provablyLegacyRequest } from "./legacy-precheck";

/** What the SDK's classifier answers for a POST with this protocol-version header and body. */
const sdkKind = (version: string | undefined, body: unknown): string =>
  classifyInboundRequest({ httpMethod: "POST", ...(version !== undefined && { protocolVersionHeader: version }), body })
    .kind;

const ows = fc.constantFrom("", " ", "\t", " \t ");
const version = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25", "2026-07-27", "2026-07-28", "2027-01-01"),
  fc.string(),
  fc.tuple(ows, fc.constantFrom("2025-11-25", "2026-07-28", "2026-07-280", "2026-07-2"), ows).map((p) => p.join("")),
);
const id = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.constantFrom(2 ** 53, -(2 ** 53), 2 ** 53 - 1, -0, 1e21, null, true),
  fc.constant(undefined),
);
const meta = fc.oneof(
  fc.constant(undefined),
  fc.jsonValue(),
  fc.record({ "io.modelcontextprotocol/protocolVersion": fc.constantFrom("2025-11-25", "2026-07-28", 3) }),
  fc.record({ progressToken: fc.oneof(fc.string(), fc.integer(), fc.double()) }),
);
const params = fc.oneof(
  fc.constant(undefined),
  fc.jsonValue(),
  fc.dictionary(fc.string(), fc.jsonValue()),
  fc.tuple(fc.dictionary(fc.string(), fc.jsonValue()), meta).map(([rest, m]) => ({ ...rest, _meta: m })),
);
/** Requests, near misses of one (a key too many or missing, a wrong type) and any JSON value. */
const body = fc.oneof(
  fc
    .record({ jsonrpc: fc.constant("2.0"), id, method: fc.string(), params }, { requiredKeys: ["jsonrpc", "method"] })
    .map((b) => JSON.parse(JSON.stringify(b)) as unknown),
  fc
    .record(
      {
        jsonrpc: fc.constantFrom("2.0", "1.0", 2),
        id,
        method: fc.oneof(fc.constantFrom("tools/call", "initialize", "ping", "notifications/initialized"), fc.string()),
        params,
        result: fc.jsonValue(),
        error: fc.record({ code: fc.integer(), message: fc.string() }),
        extra: fc.jsonValue(),
      },
      { requiredKeys: ["jsonrpc", "method"] },
    )
    .map((b) => JSON.parse(JSON.stringify(b)) as unknown),
  fc.jsonValue(),
  fc.array(fc.jsonValue()),
);

describe("provablyLegacyRequest", () => {
  it("answers true only where the SDK's classifier answers legacy (differential)", () => {
    let proved = 0;
    fc.assert(
      fc.property(version, body, (v, b) => {
        if (!provablyLegacyRequest(v, b)) return;
        proved += 1;
        expect(sdkKind(v, b)).toBe("legacy");
      }),
      { numRuns: 20_000 },
    );
    // The property says something only if the fast path is taken often enough.
    expect(proved).toBeGreaterThan(200);
  });

  it.each([
    [
      "a 2025 client's tools/call",
      "2025-11-25",
      { jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "x" } },
    ],
    ["a request without params or version header", undefined, { jsonrpc: "2.0", id: "a", method: "tools/list" }],
    ["a version header with whitespace", " 2025-06-18\t", { jsonrpc: "2.0", id: 0, method: "ping", params: {} }],
  ])("proves %s legacy, as the SDK does", (_name, v, b) => {
    expect(provablyLegacyRequest(v, b)).toBe(true);
    expect(sdkKind(v, b)).toBe("legacy");
  });

  it.each([
    ["initialize", undefined, { jsonrpc: "2.0", id: 1, method: "initialize", params: {} }],
    ["params with _meta", undefined, { jsonrpc: "2.0", id: 1, method: "ping", params: { _meta: {} } }],
    ["a modern version header", "2026-07-28", { jsonrpc: "2.0", id: 1, method: "ping" }],
    ["an unsafe integer id", undefined, { jsonrpc: "2.0", id: 2 ** 53, method: "ping" }],
    ["a response", undefined, { jsonrpc: "2.0", id: 1, result: {} }],
    ["a notification", undefined, { jsonrpc: "2.0", method: "notifications/initialized" }],
  ])("leaves %s to the SDK", (_name, v, b) => {
    expect(provablyLegacyRequest(v, b)).toBe(false);
  });
});
