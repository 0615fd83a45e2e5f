import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { startMcpFixture, type McpFixture, type ToolPage } from "../testing/fixture-server";
import { listAll, promptProblem, resourceProblem, toolProblem, validateItems } from "./listing";

const tool = (name: string): Record<string, unknown> => ({ name, inputSchema: { type: "object" } });

describe("listAll", () => {
  let fixture: McpFixture | undefined;
  let client: Client | undefined;

  async function connect(listTools: (cursor: string | undefined) => ToolPage): Promise<Client> {
    fixture = await startMcpFixture({ listTools });
    client = new Client({ name: "listing-test", version: "0.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(fixture.url)));
    return client;
  }

  afterEach(async () => {
    await client?.close();
    await fixture?.close();
    client = fixture = undefined;
  });

  it("collects every page of a paginated tools/list, in order", async () => {
    const pages: Record<string, ToolPage> = {
      first: { tools: [tool("a"), tool("b")], nextCursor: "p2" },
      p2: { tools: [tool("c")], nextCursor: "p3" },
      p3: { tools: [tool("d"), tool("e")] },
    };
    const connected = await connect((cursor) => pages[cursor ?? "first"] ?? { tools: [] });
    const items = await listAll(connected, "tools/list", "tools", 2_000);
    expect(items.map((item) => (item as { name: string }).name)).toEqual(["a", "b", "c", "d", "e"]);
    expect(fixture?.listCalls()).toBe(3);
  });

  it("fails naming the cursor when the upstream sends the same cursor twice", async () => {
    const connected = await connect(() => ({ tools: [tool("a")], nextCursor: "again" }));
    await expect(listAll(connected, "tools/list", "tools", 2_000)).rejects.toThrow(
      'tools/list returned cursor "again" twice',
    );
    expect(fixture?.listCalls()).toBe(2);
  });

  it("gives up after 100 pages of ever-new cursors", async () => {
    const connected = await connect((cursor) => ({ tools: [], nextCursor: `${Number(cursor ?? 0) + 1}` }));
    await expect(listAll(connected, "tools/list", "tools", 2_000)).rejects.toThrow(
      "tools/list did not finish within 100 pages",
    );
    expect(fixture?.listCalls()).toBe(100);
  });

  it("treats a page without the item field as empty", async () => {
    const pages: Record<string, ToolPage> = {
      first: { nextCursor: "p2" },
      p2: { tools: [tool("z")] },
    };
    const connected = await connect((cursor) => pages[cursor ?? "first"] ?? { tools: [] });
    expect(await listAll(connected, "tools/list", "tools", 2_000)).toEqual([tool("z")]);
  });
});

describe("toolProblem", () => {
  it.each<[string, unknown, string | undefined]>([
    ["an object schema", { name: "t", inputSchema: { type: "object" } }, undefined],
    ["an object schema with properties", { name: "t", inputSchema: { type: "object", properties: {} } }, undefined],
    [
      "a string schema",
      { name: "t", inputSchema: { type: "string" } },
      'inputSchema.type must be "object", got "string"',
    ],
    ["a schema without type", { name: "t", inputSchema: {} }, 'inputSchema.type must be "object", got undefined'],
    ["a missing inputSchema", { name: "t" }, "inputSchema is missing or not a JSON object"],
    ["a null inputSchema", { name: "t", inputSchema: null }, "inputSchema is missing or not a JSON object"],
    ["an array inputSchema", { name: "t", inputSchema: [] }, "inputSchema is missing or not a JSON object"],
    ["a schema given as a string", { name: "t", inputSchema: "object" }, "inputSchema is missing or not a JSON object"],
    ["an empty name", { name: "", inputSchema: { type: "object" } }, "tool without a string name"],
    ["a numeric name", { name: 7, inputSchema: { type: "object" } }, "tool without a string name"],
    ["no name", { inputSchema: { type: "object" } }, "tool without a string name"],
    ["not an object", "get_forecast", "tool without a string name"],
    ["null", null, "tool without a string name"],
  ])("judges %s", (_case, item, problem) => {
    expect(toolProblem(item)).toBe(problem);
  });
});

describe("promptProblem and resourceProblem", () => {
  it.each<[unknown, string | undefined]>([
    [{ name: "p" }, undefined],
    [{ name: "" }, "prompt without a string name"],
    [{ title: "p" }, "prompt without a string name"],
  ])("judges prompt %j", (item, problem) => {
    expect(promptProblem(item)).toBe(problem);
  });

  it.each<[unknown, string | undefined]>([
    [{ uri: "x://a", name: "a" }, undefined],
    [{ uri: "x://a" }, "resource without a string uri and name"],
    [{ name: "a" }, "resource without a string uri and name"],
  ])("judges resource %j", (item, problem) => {
    expect(resourceProblem(item)).toBe(problem);
  });
});

describe("validateItems", () => {
  it("keeps the valid items in order and names each dropped one with its problem", () => {
    const bad = { name: "bad", inputSchema: { type: "string" } };
    const result = validateItems([tool("a"), bad, "junk", tool("b"), { uri: "x://r" }], toolProblem);
    expect(result.valid).toEqual([tool("a"), tool("b")]);
    expect(result.dropped).toEqual([
      { name: "bad", problem: 'inputSchema.type must be "object", got "string"' },
      { name: "?", problem: "tool without a string name" },
      { name: "x://r", problem: "tool without a string name" },
    ]);
  });

  it("drops a tool whose schema nests 10^5 deep, so listing and serializing the catalog cannot overflow", () => {
    const deep = JSON.parse('{"a":'.repeat(100_000) + "1" + "}".repeat(100_000)) as unknown;
    const evil = { name: "evil", inputSchema: { type: "object", properties: { p: deep } } };
    const result = validateItems([tool("a"), evil], toolProblem);
    expect(result.valid).toEqual([tool("a")]);
    expect(result.dropped).toEqual([{ name: "evil", problem: "nested deeper than 128 levels" }]);
    expect(() => JSON.stringify(result.valid)).not.toThrow();
  });
});
