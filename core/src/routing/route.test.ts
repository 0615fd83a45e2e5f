import { Catalog } from "../catalog/catalog";
import { parseConfig } from "../config/load";
import { forModernClient, JsonRpcErrorCode } from "../errors";
import { parseJsonRpc } from "../jsonrpc/message";
import { PROTOTYPE_KEYS } from "../own-keys";
import { route } from "./route";

const config = parseConfig(
  'version: 1\nauth: none\nservers:\n  - { name: weather, url: "http://127.0.0.1:1/mcp" }\n  - { name: plain, url: "http://127.0.0.1:2/mcp", prefix: "" }\n',
  {},
);
const catalog = Catalog.build(
  config.servers,
  new Map([
    [
      "weather",
      { tools: [{ name: "get_forecast" }], prompts: [{ name: "report" }], resources: [{ uri: "weather://cities" }] },
    ],
    ["plain", { tools: [{ name: "echo" }], prompts: [], resources: [] }],
  ]),
);

const decide = (message: object): ReturnType<typeof route> =>
  route(parseJsonRpc(JSON.stringify({ jsonrpc: "2.0", ...message })), catalog);

describe("route", () => {
  it.each([
    [
      { id: 1, method: "tools/call", params: { name: "weather_get_forecast", arguments: { city: "Oslo" } } },
      "weather",
      { name: "get_forecast", arguments: { city: "Oslo" } },
    ],
    [
      { id: 2, method: "tools/call", params: { name: "echo", _meta: { progressToken: 5 } } },
      "plain",
      { name: "echo", _meta: { progressToken: 5 } },
    ],
    [{ id: 3, method: "prompts/get", params: { name: "weather_report" } }, "weather", { name: "report" }],
    [
      { id: 4, method: "resources/read", params: { uri: "weather+weather://cities" } },
      "weather",
      { uri: "weather://cities" },
    ],
    [
      { id: 5, method: "resources/subscribe", params: { uri: "weather+weather://cities" } },
      "weather",
      { uri: "weather://cities" },
    ],
    [
      { id: 6, method: "resources/unsubscribe", params: { uri: "weather+weather://cities" } },
      "weather",
      { uri: "weather://cities" },
    ],
    [
      {
        id: 7,
        method: "completion/complete",
        params: { ref: { type: "ref/prompt", name: "weather_report" }, argument: { name: "city", value: "Os" } },
      },
      "weather",
      { ref: { type: "ref/prompt", name: "report" }, argument: { name: "city", value: "Os" } },
    ],
    [
      {
        id: 8,
        method: "completion/complete",
        params: { ref: { type: "ref/resource", uri: "weather+weather://cities" }, argument: { name: "c", value: "" } },
      },
      "weather",
      { ref: { type: "ref/resource", uri: "weather://cities" }, argument: { name: "c", value: "" } },
    ],
  ])("routes %j to %s with the unprefixed name", (message, server, params) => {
    const decision = decide(message);
    if (decision.kind !== "upstream") throw new Error(`expected upstream, got ${decision.kind}`);
    expect(decision.target.server.name).toBe(server);
    expect(JSON.parse(decision.body.toString())).toEqual({
      jsonrpc: "2.0",
      id: message.id,
      method: message.method,
      params,
    });
  });

  it.each([
    [{ id: 1, method: "initialize", params: {} }],
    [{ id: 2, method: "tools/list" }],
    [{ id: 3, method: "ping" }],
    [{ method: "notifications/initialized" }],
    [{ method: "tools/call", params: { name: "weather_get_forecast" } }],
    [{ id: 9, result: {} }],
  ])("sends %j to the broker", (message) => {
    expect(decide(message)).toEqual({ kind: "broker" });
  });

  it.each([
    [{ id: 1, method: "tools/call", params: { name: "weather_nope" } }, 'unknown tool: "weather_nope"'],
    [{ id: 2, method: "tools/call", params: { name: "get_forecast" } }, 'unknown tool: "get_forecast"'],
    [{ id: 3, method: "tools/call", params: {} }, "tools/call needs params.name (a non-empty string)"],
    [{ id: 4, method: "tools/call", params: { name: 42 } }, "tools/call needs params.name"],
    [{ id: 5, method: "tools/call", params: ["weather_get_forecast"] }, "tools/call needs params.name"],
    [{ id: 6, method: "prompts/get", params: { name: "report" } }, 'unknown prompt: "report"'],
    [
      { id: 7, method: "resources/subscribe", params: { uri: "file:///etc/passwd" } },
      'unknown resource: "file:///etc/passwd"',
    ],
  ])("rejects %j with -32602", (message, text) => {
    const decision = decide(message);
    if (decision.kind !== "reject") throw new Error(`expected reject, got ${decision.kind}`);
    expect(decision.error).toMatchObject({ code: JsonRpcErrorCode.InvalidParams, id: message.id, httpStatus: 200 });
    expect(decision.error.message).toContain(text);
  });

  // MCP 2025-11-25 server/resources "Error Handling": resource not found is -32002 with the URI in data; a modern
  // client gets it as -32602 (SEP-2164) through forModernClient.
  it("rejects resources/read of a URI no upstream serves with -32002 and the URI in data, -32602 for a modern client", () => {
    const decision = decide({ id: 7, method: "resources/read", params: { uri: "file:///etc/passwd" } });
    if (decision.kind !== "reject") throw new Error(`expected reject, got ${decision.kind}`);
    expect(decision.error.toJsonRpc()).toEqual({
      jsonrpc: "2.0",
      id: 7,
      error: { code: -32002, message: 'unknown resource: "file:///etc/passwd"', data: { uri: "file:///etc/passwd" } },
    });
    expect(decision.error.httpStatus).toBe(200);
    expect(forModernClient(decision.error).toJsonRpc()).toEqual({
      jsonrpc: "2.0",
      id: 7,
      error: { code: -32602, message: 'unknown resource: "file:///etc/passwd"', data: { uri: "file:///etc/passwd" } },
    });
  });

  describe("with names of Object.prototype members", () => {
    it.each(PROTOTYPE_KEYS)("sends the method %j to the broker (which answers -32601)", (method) => {
      expect(decide({ id: 1, method })).toEqual({ kind: "broker" });
    });

    it.each(
      PROTOTYPE_KEYS.flatMap((name) => [
        ["tools/call", { name }, `unknown tool: ${JSON.stringify(name)}`],
        ["prompts/get", { name }, `unknown prompt: ${JSON.stringify(name)}`],
        ["resources/read", { uri: name }, `unknown resource: ${JSON.stringify(name)}`],
        ["completion/complete", { ref: { type: "ref/prompt", name } }, `unknown prompt: ${JSON.stringify(name)}`],
      ]),
    )("rejects %s of %j as unknown", (method, params, text) => {
      const decision = decide({ id: 1, method, params });
      if (decision.kind !== "reject") throw new Error(`expected reject, got ${decision.kind}`);
      const code = method === "resources/read" ? JsonRpcErrorCode.ResourceNotFound : JsonRpcErrorCode.InvalidParams;
      expect(decision.error).toMatchObject({ code, message: text });
    });

    it("does not read a name inherited through an own __proto__ member of the raw JSON", () => {
      const body =
        '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"__proto__":{"name":"weather_get_forecast"}}}';
      const decision = route(parseJsonRpc(body), catalog);
      if (decision.kind !== "reject") throw new Error(`expected reject, got ${decision.kind}`);
      expect(decision.error.message).toContain("tools/call needs params.name");
    });

    // The rewrite copies the message and params with spreads, which keep own "__proto__" members (an assignment would not).
    it("keeps own __proto__ members of the message, params and arguments in the body sent upstream", () => {
      const body =
        '{"jsonrpc":"2.0","id":1,"__proto__":{"m":1},"method":"tools/call","params":{"__proto__":{"p":1},"name":"weather_get_forecast","arguments":{"path":"/tmp/a","__proto__":{"x":1}}}}';
      const decision = route(parseJsonRpc(body), catalog);
      if (decision.kind !== "upstream") throw new Error(`expected upstream, got ${decision.kind}`);
      expect(decision.body.toString()).toBe(
        '{"jsonrpc":"2.0","id":1,"__proto__":{"m":1},"method":"tools/call","params":{"__proto__":{"p":1},"name":"get_forecast","arguments":{"path":"/tmp/a","__proto__":{"x":1}}}}',
      );
      expect(decision.named.args).toEqual(JSON.parse('{"path":"/tmp/a","__proto__":{"x":1}}'));
    });
  });
});

describe("route: resource URIs as the upstream will parse them", () => {
  const files = parseConfig(
    'version: 1\nauth: none\nservers:\n  - { name: files, url: "http://127.0.0.1:3/mcp", prefix: "files_" }\n',
    {},
  );
  const fileCatalog = Catalog.build(
    files.servers,
    new Map([["files", { tools: [], prompts: [], resources: [{ uri: "fs://host/public/readme" }] }]]),
  );
  const read = (uri: string, method = "resources/read"): ReturnType<typeof route> =>
    route(parseJsonRpc(JSON.stringify({ jsonrpc: "2.0", id: 9, method, params: { uri } })), fileCatalog);

  it.each([
    ["files+fs://host/public/.\t./private/key", /U\+0009/],
    ["files+fs://host/public/\t../private/key", /U\+0009/],
    ["files+fs://host/public/..\t/private/key", /U\+0009/],
    ["files+fs://host/public/%2e%2e/private/key", /percent-encoded dot/],
    ["files+fs://host/public/../private/key", /dot segment/],
  ])("rejects %j with -32602 naming the problem, before any upstream", (uri, problem) => {
    for (const method of ["resources/read", "resources/subscribe", "resources/unsubscribe"]) {
      const decision = read(uri, method);
      expect(decision.kind).toBe("reject");
      if (decision.kind !== "reject") continue;
      expect(decision.error.code).toBe(JsonRpcErrorCode.InvalidParams);
      expect(decision.error.message).toMatch(problem);
      expect(decision.error.message).toContain(`${method}: resource URI`);
    }
  });

  it("passes the URI on as sent and names its normalized exposed form for the policy", () => {
    const decision = read("files+FS://host/public/a b");
    expect(decision).toMatchObject({
      kind: "upstream",
      target: { name: "FS://host/public/a b" },
      named: { exposed: "files+FS://host/public/a b", normalized: "files+fs://host/public/a%20b" },
    });
  });

  it("caps a huge unknown server named by a response id in the error message", () => {
    const decision = decide({ id: `mcpgw:${"s".repeat(500_000)}:1`, result: {} });
    expect(decision.kind).toBe("reject");
    if (decision.kind === "reject") expect(decision.error.message.length).toBeLessThan(400);
  });

  it("caps a huge unknown name in the error message", () => {
    const decision = decide({ id: 1, method: "tools/call", params: { name: "x".repeat(500_000) } });
    expect(decision.kind).toBe("reject");
    if (decision.kind === "reject") expect(decision.error.message.length).toBeLessThan(400);
  });
});
