import { startServer as startWeather, type RunningServer } from "../../examples/weather-server/src/index";
import { gatewayYaml, initializeSession, startBroker, waitUntil, type RunningBroker } from "./testing/broker-fixture";
import { rawRequest } from "./testing/raw-request";

const ENDPOINTS = ["/mcp", "/healthz", "/readyz", "/status", "/metrics"];

/** Spellings of `path` that lenient routers (Express by default, URL normalizers) take for the path itself. */
function variants(path: string): [string, string][] {
  const name = path.slice(1);
  return [
    ["upper case", path.toUpperCase()],
    ["capitalized", `/${name.charAt(0).toUpperCase()}${name.slice(1)}`],
    ["trailing slash", `${path}/`],
    ["double slash", `/${path}`],
    ["leading dot segment", `/.${path}`],
    ["encoded first letter", `/%${name.charCodeAt(0).toString(16)}${name.slice(1)}`],
    ["encoded leading slash", `/%2F${name}`],
    ["encoded trailing slash", `${path}%2F`],
    ["matrix parameter", `${path};x=1`],
    ["sub-path", `${path}/x`],
  ];
}

const cases = ENDPOINTS.flatMap((path) => variants(path).map(([label, variant]) => [path, label, variant]));

const initialize = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } },
});

describe.each([
  ["standalone gateway", true],
  ["broker behind Envoy", false],
])("exact paths and methods (%s)", (_label, standalone) => {
  let weather: RunningServer;
  let gateway: RunningBroker;
  beforeAll(async () => {
    weather = await startWeather({ port: 0 });
    gateway = await startBroker(gatewayYaml([{ name: "weather", url: weather.url }]), { standalone });
  });
  afterAll(async () => {
    await gateway.close();
    await weather.close();
  });
  // The broker behind Envoy trusts only the router's identity header; `auth: none` makes every caller anonymous.
  const json = { "content-type": "application/json", accept: "application/json, text/event-stream" };

  it.each(ENDPOINTS.filter((path) => path !== "/mcp"))("answers GET %s itself (the baseline)", async (path) => {
    // Readiness follows the upstream's health checks, which a loaded machine can time out for a moment.
    if (path === "/readyz")
      await waitUntil(
        async () => (await rawRequest(gateway.base, { method: "GET", path })).status === 200,
        "ready",
        15_000,
      );
    const answer = await rawRequest(gateway.base, { method: "GET", path });
    expect(answer.status).toBe(200);
    expect(answer.headers["x-powered-by"]).toBeUndefined();
  });

  it.each(cases)("answers 404 for %s spelled with a %s (%s)", async (path, _label, variant) => {
    const get = await rawRequest(gateway.base, { method: "GET", path: variant });
    expect(get.status).toBe(404);
    if (path === "/mcp") {
      const post = await rawRequest(gateway.base, { method: "POST", path: variant, headers: json, body: initialize });
      expect(post.status).toBe(404);
      expect(post.headers["mcp-session-id"]).toBeUndefined();
    }
  });

  it("serves POST /mcp at the exact path with a query", async () => {
    const post = await rawRequest(gateway.base, { method: "POST", path: "/mcp?x=1", headers: json, body: initialize });
    expect(post.status).toBe(200);
  });

  it.each([
    ["content-length", { "content-length": "2" }, "{}"],
    ["transfer-encoding", { "transfer-encoding": "chunked" }, "{}"],
  ])("refuses GET /mcp with a body (%s) with 405 instead of opening a stream", async (_label, headers, body) => {
    const session = await initializeSession(gateway.mcpUrl);
    const get = await rawRequest(
      gateway.base,
      {
        method: "GET",
        path: "/mcp",
        headers: { accept: "text/event-stream", "mcp-session-id": session, ...headers },
        body,
      },
      2000,
    );
    expect(get.status).toBe(405);
    expect(get.headers["allow"]).toBe("GET, POST, DELETE");
    expect(JSON.parse(get.text)).toMatchObject({ error: { code: -32600, message: expect.stringContaining("POST") } });
  });

  it("refuses DELETE /mcp with a body with 405 and the session lives on", async () => {
    const session = await initializeSession(gateway.mcpUrl);
    const headers = { "mcp-session-id": session, "content-length": "2" };
    const deleted = await rawRequest(gateway.base, { method: "DELETE", path: "/mcp", headers, body: "{}" });
    expect(deleted.status).toBe(405);
    const ping = JSON.stringify({ jsonrpc: "2.0", id: 2, method: "ping" });
    const after = await rawRequest(gateway.base, {
      method: "POST",
      path: "/mcp",
      headers: { ...json, "mcp-session-id": session },
      body: ping,
    });
    expect(after.status).toBe(200);
  });

  it("refuses HEAD /mcp with 405 (no stream without a body to carry it)", async () => {
    const session = await initializeSession(gateway.mcpUrl);
    const head = await rawRequest(
      gateway.base,
      { method: "HEAD", path: "/mcp", headers: { accept: "text/event-stream", "mcp-session-id": session } },
      2000,
    );
    expect(head.status).toBe(405);
  });

  it("still ends a session with a bodiless DELETE (content-length: 0)", async () => {
    const session = await initializeSession(gateway.mcpUrl);
    const headers = { "mcp-session-id": session, "content-length": "0" };
    expect((await rawRequest(gateway.base, { method: "DELETE", path: "/mcp", headers })).status).toBe(200);
  });
});
