import { forwardHeaders, isClientAssertedHeader } from "./headers";
import { isRelayedResponseHeader, unrelayedResponseHeaders } from "./response-headers";

describe("client headers an upstream never sees", () => {
  it.each([
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    "x-forwarded-anything",
    "x-real-ip",
    "true-client-ip",
    "via",
    "last-event-id",
  ])("drops %s from a forwarded call", (name) => {
    expect(isClientAssertedHeader(name)).toBe(true);
    const sent = forwardHeaders({ [name]: "6.6.6.6", "x-trace": "t" }, { setHeaders: {}, removeHeaders: [] });
    expect(sent).toEqual({ "x-trace": "t" });
  });
});

describe("upstream response headers a client sees", () => {
  it.each(["content-type", "content-length", "cache-control", "retry-after", "mcp-session-id"])("relays %s", (name) => {
    expect(isRelayedResponseHeader(name)).toBe(true);
  });

  it.each([
    "x-powered-by",
    "server",
    "access-control-allow-origin",
    "access-control-allow-credentials",
    "set-cookie",
    "www-authenticate",
    "location",
    "content-encoding",
    "constructor",
    "__proto__",
  ])("drops %s", (name) => {
    expect(isRelayedResponseHeader(name)).toBe(false);
  });

  it("lists what Envoy must remove: never pseudo-headers, x-envoy-*, host or what the gateway sets itself", () => {
    const upstream = {
      ":status": "200",
      host: "h",
      "x-envoy-upstream-service-time": "1",
      "content-type": "application/json",
      "x-powered-by": "Express",
      "access-control-allow-origin": "*",
      "access-control-max-age": "600",
    };
    expect(unrelayedResponseHeaders(upstream, { "access-control-allow-origin": "http://app.example" })).toEqual([
      "x-powered-by",
      "access-control-max-age",
    ]);
  });
});
