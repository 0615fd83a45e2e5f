import { Catalog } from "../catalog/catalog";
import { parseConfig } from "../config/load";
import { classifyRequest } from "./classify";
import { paramHeaderSchemas } from "./param-headers";

// SEP-2243 through the gateway: a tool whose definition carries `x-mcp-header` annotations has its `Mcp-Param-*`
// headers checked against the body by the SDK's own rung, with the schema the catalog holds for the exposed name.

const MODERN = "2026-07-28";
const b64 = (text: string): string => `=?base64?${Buffer.from(text, "utf8").toString("base64")}?=`;

const regionSchema = {
  type: "object",
  properties: {
    region: { type: "string", "x-mcp-header": "Region" },
    count: { type: "integer", "x-mcp-header": "Count" },
    flag: { type: "boolean", "x-mcp-header": "Flag" },
    nested: { type: "object", properties: { zone: { type: "string", "x-mcp-header": "Zone" } } },
    query: { type: "string" },
  },
};

const config = parseConfig(
  `version: 1
auth: none
servers:
  - { name: legacy, url: "http://127.0.0.1:1/mcp", prefix: legacy_ }
`,
  {},
);
const plain = { type: "object", properties: { region: { type: "string" } } };
const catalog = Catalog.build(
  config.servers,
  new Map([
    [
      "legacy",
      {
        tools: [
          { name: "execute", inputSchema: regionSchema },
          { name: "plain", inputSchema: plain },
        ],
        prompts: [],
        resources: [],
      },
    ],
  ]),
);
const tools = paramHeaderSchemas(catalog);

const headers = (extra: Record<string, string> = {}, name = "legacy_execute"): Record<string, string> => ({
  "content-type": "application/json",
  accept: "application/json, text/event-stream",
  "mcp-protocol-version": MODERN,
  "mcp-method": "tools/call",
  "mcp-name": name,
  ...extra,
});
const call = (args: Record<string, unknown>, name = "legacy_execute"): Record<string, unknown> => ({
  jsonrpc: "2.0",
  id: 41,
  method: "tools/call",
  params: {
    name,
    arguments: args,
    _meta: {
      "io.modelcontextprotocol/protocolVersion": MODERN,
      "io.modelcontextprotocol/clientCapabilities": {},
      "io.modelcontextprotocol/clientInfo": { name: "client", version: "1.0.0" },
    },
  },
});

describe("classifyRequest with the catalog's x-mcp-header tools", () => {
  it.each([
    ["a plain header equal to the body", { "mcp-param-region": "us-west1" }, { region: "us-west1" }],
    ["a canonical base64 header", { "mcp-param-region": b64("Hello") }, { region: "Hello" }],
    ["a base64 header of non-ASCII text", { "mcp-param-region": b64("Hello, 世界") }, { region: "Hello, 世界" }],
    ["a value without the sentinel, taken literally", { "mcp-param-region": "SGVsbG8=" }, { region: "SGVsbG8=" }],
    ["no header when the body has no value", {}, { query: "SELECT 1" }],
    ["no header when the body value is null", {}, { region: null }],
    ["a present header for an absent value (ignored)", { "mcp-param-region": "anything" }, {}],
    ["an integer compared numerically", { "mcp-param-count": "42.0" }, { count: 42 }],
    ["a boolean in lower case", { "mcp-param-flag": "true" }, { flag: true }],
    ["a nested property's header", { "mcp-param-zone": "b" }, { nested: { zone: "b" } }],
    ["a header name in another case", { "MCP-PARAM-REGION": "eu" }, { region: "eu" }],
    ["an unknown Mcp-Param header next to the declared ones", { "mcp-param-other": "x" }, {}],
  ])("admits %s", async (_name, extra, args) => {
    const era = await classifyRequest(headers(extra), "POST", call(args), tools);
    expect(era.era).toBe("modern");
  });

  it.each([
    ["bad padding", { "mcp-param-region": "=?base64?SGVsbG8?=" }, { region: "Hello" }, "invalid Base64"],
    ["bad characters", { "mcp-param-region": "=?base64?SGVs!!!bG8=?=" }, { region: "Hello" }, "invalid Base64"],
    ["base64 of invalid UTF-8", { "mcp-param-region": "=?base64?/w==?=" }, { region: "\uFFFD" }, "invalid Base64"],
    ["a missing header while the body has the value", {}, { region: "us-west1" }, "absent"],
    ["a header that disagrees with the body", { "mcp-param-region": "eu" }, { region: "us-west1" }, "decodes to"],
    ["a base64 header decoding to another value", { "mcp-param-region": b64("eu") }, { region: "us" }, "decodes to"],
    ["an integer that differs", { "mcp-param-count": "43" }, { count: 42 }, "decodes to"],
    ["a boolean in another case", { "mcp-param-flag": "True" }, { flag: true }, "decodes to"],
    ["a nested value without its header", {}, { nested: { zone: "b" } }, "absent"],
  ])("refuses %s with 400/-32020 and the request id", async (_name, extra, args, says) => {
    const era = await classifyRequest(headers(extra), "POST", call(args), tools);
    expect(era).toMatchObject({ era: "reject", error: { httpStatus: 400, code: -32020, id: 41 } });
    if (era.era === "reject") {
      expect(era.error.message).toContain(says);
      expect(era.error.data).toMatchObject({ mismatch: { header: expect.stringMatching(/^mcp-param-/i) } });
    }
  });

  it("checks nothing for a tool without annotations or one the catalog does not know", async () => {
    expect(paramHeaderSchemas(catalog)("legacy_plain")).toBeUndefined();
    const plainCall = call({ region: "us" }, "legacy_plain");
    expect((await classifyRequest(headers({}, "legacy_plain"), "POST", plainCall, tools)).era).toBe("modern");
    const unknown = call({ region: "us" }, "nowhere");
    expect((await classifyRequest(headers({}, "nowhere"), "POST", unknown, tools)).era).toBe("modern");
  });

  it("finds the schema by the exposed name and keeps it per catalog version", () => {
    expect(tools("legacy_execute")).toBe(regionSchema);
    expect(tools("execute")).toBeUndefined();
    expect(paramHeaderSchemas(catalog)).toBe(tools);
  });

  it("checks the tools of a server hidden from the lists (still routable)", async () => {
    const hidden = Catalog.build(
      config.servers,
      new Map([["legacy", { tools: [{ name: "execute", inputSchema: regionSchema }], prompts: [], resources: [] }]]),
      new Set(),
    );
    expect(hidden.listTools()).toEqual([]);
    const era = await classifyRequest(headers(), "POST", call({ region: "us" }), paramHeaderSchemas(hidden));
    expect(era).toMatchObject({ era: "reject", error: { code: -32020 } });
  });

  it("decides concurrent calls each against its own headers", async () => {
    const verdicts = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        classifyRequest(
          headers(i % 2 === 0 ? { "mcp-param-region": `r${i}` } : {}),
          "POST",
          call({ region: `r${i}` }),
          tools,
        ),
      ),
    );
    expect(verdicts.map((era) => era.era)).toEqual(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? "modern" : "reject")),
    );
  });
});
