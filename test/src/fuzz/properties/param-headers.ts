import fc from "fast-check";
import { createMcpHandler, fromJsonSchema, McpServer } from "@modelcontextprotocol/server";
import { Catalog, classifyRequest, paramHeaderSchemas, parseConfig } from "@mcp-gateway/core";
import type { FuzzCase } from "../fuzz-case";

// SEP-2243 `Mcp-Param-*` headers (core/src/modern/classify.ts, param-headers.ts): for a tool with `x-mcp-header`
// annotations behind the gateway, whatever headers and arguments a 2026 client sends, the gateway refuses exactly
// when an SDK v2 server that registered the same tool refuses (400/-32020), with the same message and data. The
// oracle is the real peer: `McpServer.registerTool` with the schema through `fromJsonSchema`, behind the SDK's strict
// `createMcpHandler`.

const REVISION = "2026-07-28";
const TOOL = "t_tool";
const META = {
  "io.modelcontextprotocol/protocolVersion": REVISION,
  "io.modelcontextprotocol/clientCapabilities": {},
  "io.modelcontextprotocol/clientInfo": { name: "fuzz", version: "1" },
};
const base64 = (text: string): string => `=?base64?${Buffer.from(text, "utf8").toString("base64")}?=`;

type Kind = "string" | "integer" | "boolean";
interface Declaration {
  property: string;
  header: string;
  kind: Kind;
  nested: boolean;
}

// Unique property names and case-insensitively unique RFC 9110 tokens: the SDK counts only valid declarations.
const declarations: fc.Arbitrary<Declaration[]> = fc
  .uniqueArray(
    fc.record({
      property: fc.constantFrom("region", "count", "flag", "zone", "a", "b"),
      header: fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,8}$/),
      kind: fc.constantFrom<Kind>("string", "integer", "boolean"),
      nested: fc.boolean(),
    }),
    { selector: (d) => d.property, minLength: 1, maxLength: 3 },
  )
  .filter((list) => new Set(list.map((d) => d.header.toLowerCase())).size === list.length);

function schemaOf(list: readonly Declaration[]): Record<string, unknown> {
  const top: Record<string, unknown> = {};
  const inner: Record<string, unknown> = {};
  for (const d of list) (d.nested ? inner : top)[d.property] = { type: d.kind, "x-mcp-header": d.header };
  if (Object.keys(inner).length > 0) top["outer"] = { type: "object", properties: inner };
  return { type: "object", properties: top };
}

const headerSafe = fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]{0,8}[\x21-\x7e])?$/);
const valueOf = (kind: Kind): fc.Arbitrary<unknown> =>
  fc.oneof(
    kind === "string" ? fc.oneof(fc.string({ maxLength: 8 }), headerSafe, fc.constant("=?base64?x?=")) : fc.constant(7),
    kind === "integer" ? fc.integer({ min: -1000, max: 1000 }) : fc.constant("text"),
    kind === "boolean" ? fc.boolean() : fc.constant(false),
    fc.constant(null),
    fc.constant(undefined),
  );

/** What a client may put in the header for a body value: right, wrong, encoded, malformed or nothing. */
const headerFor = (value: unknown): fc.Arbitrary<string | undefined> => {
  const text =
    typeof value === "string" ? value : typeof value === "number" || typeof value === "boolean" ? String(value) : "";
  return fc.oneof(
    fc.constant(undefined),
    fc.constant(base64(text)),
    /^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/.test(text) ? fc.constant(text) : fc.constant(base64(text)),
    typeof value === "number" ? fc.constantFrom(`${value}.0`, `+${value}`, `0${value}`) : fc.constant("TRUE"),
    headerSafe,
    fc.constantFrom(
      "=?base64?SGVsbG8?=",
      "=?base64?SGVs!!!bG8=?=",
      "=?base64?/w==?=",
      "=?base64??=",
      "=?BASE64?eA==?=",
    ),
    fc.string({ maxLength: 6 }).map(base64),
  );
};

const scenario = declarations.chain((list) =>
  fc
    .tuple(...list.map((d) => valueOf(d.kind).chain((value) => headerFor(value).map((header) => ({ value, header })))))
    .map((cells) => ({ list, cells })),
);

function request(list: readonly Declaration[], cells: readonly { value: unknown; header?: string | undefined }[]) {
  const args: Record<string, unknown> = {};
  const outer: Record<string, unknown> = {};
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    "mcp-protocol-version": REVISION,
    "mcp-method": "tools/call",
    "mcp-name": TOOL,
  };
  list.forEach((d, i) => {
    const cell = cells[i];
    if (cell === undefined) return;
    if (cell.value !== undefined) (d.nested ? outer : args)[d.property] = cell.value;
    if (cell.header !== undefined) headers[`mcp-param-${d.header.toLowerCase()}`] = cell.header;
  });
  if (Object.keys(outer).length > 0) args["outer"] = outer;
  const body = { jsonrpc: "2.0", id: 9, method: "tools/call", params: { name: TOOL, arguments: args, _meta: META } };
  return { headers, body };
}

/** The SDK server's verdict: its JSON-RPC error (code, message, data) when it refused with 400, else undefined. */
async function sdkVerdict(schema: Record<string, unknown>, headers: Record<string, string>, body: unknown) {
  const handler = createMcpHandler(
    () => {
      const server = new McpServer({ name: "oracle", version: "1" });
      server.registerTool(TOOL, { inputSchema: fromJsonSchema(schema) }, () => ({ content: [] }));
      return server;
    },
    { legacy: "reject" },
  );
  try {
    const answer = await handler.fetch(new Request("http://oracle.invalid/mcp", { method: "POST", headers }), {
      parsedBody: body,
    });
    const text = await answer.text();
    if (answer.status !== 400) return undefined;
    const error = (JSON.parse(text) as { error?: { code: number; message: string; data?: unknown } }).error;
    return error && { code: error.code, message: error.message, data: error.data };
  } finally {
    await handler.close();
  }
}

function catalogWith(schema: Record<string, unknown>): Catalog {
  const config = parseConfig(
    JSON.stringify({ version: 1, auth: "none", servers: [{ name: "t", url: "http://127.0.0.1:1/mcp", prefix: "t_" }] }),
    {},
  );
  const listing = { tools: [{ name: "tool", inputSchema: schema }], prompts: [], resources: [] };
  return Catalog.build(config.servers, new Map([["t", listing]]));
}

/** The Mcp-Param-* properties of the era classifier. */
export const fuzzCases: FuzzCase[] = [
  {
    name: "Mcp-Param-* headers are refused exactly when an SDK server with the same tool refuses them, alike",
    weight: 8,
    property: () =>
      fc.asyncProperty(scenario, async ({ list, cells }) => {
        const schema = schemaOf(list);
        const { headers, body } = request(list, cells);
        const sdk = await sdkVerdict(schema, headers, body);
        const era = await classifyRequest(headers, "POST", body, paramHeaderSchemas(catalogWith(schema)));
        if (sdk === undefined) return era.era === "modern";
        if (era.era !== "reject") return false;
        const { code, message, data } = era.error;
        return code === sdk.code && message === sdk.message && JSON.stringify(data) === JSON.stringify(sdk.data);
      }),
  },
];
