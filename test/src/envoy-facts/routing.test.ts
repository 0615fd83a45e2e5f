import { answerFor, phaseOf, rawHeader, scripted } from "./fake-processor";
import { clusterAndPath, jsonUpstream, startTestBed, statusAndDetails, unusedPort, type TestBed } from "./test-bed";

const routes = [
  { prefix: "/mcp", headers: { "x-destination-mcp": "weather" }, cluster: "mcp_server_weather" },
  { prefix: "/", cluster: "mcp_broker" },
];
const toWeather = { set_headers: [rawHeader("x-destination-mcp", "weather")] };

describe("Envoy fact: routing and the route cache", () => {
  let bed: TestBed;

  beforeEach(async () => {
    bed = await startTestBed({
      upstreams: { mcp_broker: jsonUpstream("broker"), mcp_server_weather: jsonUpstream("weather") },
      routes,
    });
  });

  afterEach(() => bed.close());

  const served = () => ({
    broker: bed.upstreams.mcp_broker?.requests.length,
    weather: bed.upstreams.mcp_server_weather?.requests.length,
  });

  it("reroutes by x-destination-mcp when the answer clears the route cache and mutates headers", async () => {
    bed.processor.setHandler(
      scripted({ request_body: answerFor("request_body", { header_mutation: toWeather, clear_route_cache: true }) }),
    );
    const res = await bed.send();
    expect(JSON.parse(res.body)).toMatchObject({ server: "weather" });
    expect(clusterAndPath(await bed.routes())).toEqual([{ cluster: "mcp_server_weather", path: "/mcp" }]);
  });

  it("keeps the cached route when the header is mutated without clear_route_cache", async () => {
    bed.processor.setHandler(scripted({ request_body: answerFor("request_body", { header_mutation: toWeather }) }));
    await bed.send();
    expect(served()).toEqual({ broker: 1, weather: 0 });
    expect(bed.upstreams.mcp_broker?.requests[0]?.headers["x-destination-mcp"]).toBe("weather");
  });

  it("ignores clear_route_cache in an answer without a header mutation", async () => {
    bed.processor.setHandler(
      scripted({
        request_headers: answerFor("request_headers", { header_mutation: toWeather }),
        request_body: answerFor("request_body", { clear_route_cache: true }),
      }),
    );
    await bed.send();
    expect(served()).toEqual({ broker: 1, weather: 0 });
  });

  it("routes by a client-sent x-destination-mcp when the processor does not clear the cache, even if it strips it", async () => {
    bed.processor.setHandler(
      scripted({
        request_headers: answerFor("request_headers", { header_mutation: { remove_headers: ["x-destination-mcp"] } }),
      }),
    );
    const res = await bed.send({ headers: { "x-destination-mcp": "weather" } });
    expect(JSON.parse(res.body)).toMatchObject({ server: "weather" });
    expect(bed.upstreams.mcp_server_weather?.requests[0]?.headers["x-destination-mcp"]).toBeUndefined();
  });

  it("routes to the default when the processor strips the client's header and clears the cache", async () => {
    bed.processor.setHandler(
      scripted({
        request_headers: answerFor("request_headers", {
          header_mutation: { remove_headers: ["x-destination-mcp"] },
          clear_route_cache: true,
        }),
      }),
    );
    const res = await bed.send({ headers: { "x-destination-mcp": "weather" } });
    expect(JSON.parse(res.body)).toMatchObject({ server: "broker" });
  });

  it("sends host from :authority set by the processor", async () => {
    bed.processor.setHandler(
      scripted({
        request_headers: answerFor("request_headers", {
          header_mutation: { set_headers: [rawHeader(":authority", "weather.internal:9001")] },
        }),
      }),
    );
    await bed.send();
    expect(bed.upstreams.mcp_broker?.requests[0]?.headers.host).toBe("weather.internal:9001");
  });
});

describe("Envoy fact: local replies from the router", () => {
  let bed: TestBed | undefined;

  afterEach(async () => {
    await bed?.close();
    bed = undefined;
  });

  it("answers 404 when no route matches, and passes the reply through response_headers", async () => {
    bed = await startTestBed({
      upstreams: { mcp_server_weather: jsonUpstream("weather") },
      routes: routes.slice(0, 1),
    });
    const res = await bed.send();
    expect(res.status).toBe(404);
    const received = bed.processor.streams[0]?.received ?? [];
    expect(received.map(phaseOf)).toEqual(["request_headers", "request_body", "response_headers"]);
    expect(received[2]?.response_headers?.end_of_stream).toBe(true);
  });

  it("answers 503 for a route to an unknown cluster (validate_clusters: false)", async () => {
    bed = await startTestBed({ upstreams: {}, routes: [{ prefix: "/", cluster: "missing" }], validateClusters: false });
    expect((await bed.send()).status).toBe(503);
    expect(statusAndDetails(await bed.routes())).toEqual([{ status: 503, details: "cluster_not_found" }]);
  });

  it("answers 503 when the upstream refuses the connection", async () => {
    bed = await startTestBed({
      upstreams: {},
      deadClusters: { mcp_broker: await unusedPort() },
      routes: [{ prefix: "/", cluster: "mcp_broker" }],
    });
    const res = await bed.send();
    expect(res.status).toBe(503);
    expect(res.body).toMatch(/^upstream connect error or disconnect\/reset before headers/);
  });

  it("answers 504 when the upstream exceeds the route timeout", async () => {
    bed = await startTestBed({
      upstreams: { mcp_broker: (_req, res) => setTimeout(() => res.end("late"), 1000) },
      routes: [{ prefix: "/", cluster: "mcp_broker", timeout: "0.2s" }],
    });
    const res = await bed.send();
    expect(res.status).toBe(504);
    expect(res.body).toBe("upstream request timeout");
    expect(bed.upstreams.mcp_broker?.requests[0]?.headers["x-envoy-expected-rq-timeout-ms"]).toBe("200");
  });
});
