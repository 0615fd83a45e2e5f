import type { HTTPRoute, MCPServer, Secret, Service } from "./api-types";
import { resolveServer, type Lookup } from "./resolve";

const b64 = (text: string): string => Buffer.from(text).toString("base64");

function lookup(objects: { services?: Service[]; secrets?: Secret[]; routes?: HTTPRoute[] }): Lookup {
  const find = <T extends { metadata: { name: string } }>(list: T[] | undefined, name: string) =>
    list?.find((o) => o.metadata.name === name);
  return {
    namespace: "mcp",
    clusterDomain: "cluster.local",
    service: (name) => find(objects.services, name),
    secret: (name) => find(objects.secrets, name),
    httpRoute: (name) => find(objects.routes, name),
  };
}

const server = (spec: MCPServer["spec"], name = "weather"): MCPServer => ({
  apiVersion: "mcp.gateway.example/v1alpha1",
  kind: "MCPServer",
  metadata: { name },
  spec,
});
const svc: Service = { metadata: { name: "weather" }, spec: { ports: [{ port: 8080 }] } };

describe("resolveServer", () => {
  it("makes a Service port the cluster-DNS URL, with the server's fields", () => {
    const result = resolveServer(
      server({ target: { service: { name: "weather", port: 8080 } }, path: "/v1/mcp", timeout: "5s", prefix: "" }),
      lookup({ services: [svc] }),
    );
    expect(result).toMatchObject({ ok: true, url: "http://weather.mcp.svc.cluster.local:8080/v1/mcp" });
    expect(result.ok && { ...result.entry }).toEqual({
      name: "weather",
      url: "http://weather.mcp.svc.cluster.local:8080/v1/mcp",
      prefix: "",
      timeout: "5s",
    });
  });

  it("follows an HTTPRoute to its first Service backendRef", () => {
    const route: HTTPRoute = {
      metadata: { name: "r" },
      spec: { rules: [{ backendRefs: [{ name: "weather", port: 8080 }] }] },
    };
    const result = resolveServer(
      server({ target: { httpRoute: { name: "r" } } }),
      lookup({ services: [svc], routes: [route] }),
    );
    expect(result).toMatchObject({ ok: true, backend: { service: "weather", port: 8080 } });
  });

  it.each([
    ["a missing Service", server({ target: { service: { name: "nope", port: 1 } } }), "TargetNotFound"],
    ["a port the Service lacks", server({ target: { service: { name: "weather", port: 9 } } }), "TargetNotFound"],
    ["a missing HTTPRoute", server({ target: { httpRoute: { name: "nope" } } }), "TargetNotFound"],
    [
      "a missing Secret",
      server({ target: { service: { name: "weather", port: 8080 } }, credentialRef: { name: "s" } }),
      "CredentialNotFound",
    ],
  ])("refuses %s", (_what, spec, reason) => {
    expect(resolveServer(spec, lookup({ services: [svc] }))).toMatchObject({ ok: false, reason });
  });

  it("turns a credentialRef Secret into headers, a __proto__ key included, and refuses env references unechoed", () => {
    const spec = server({ target: { service: { name: "weather", port: 8080 } }, credentialRef: { name: "s" } });
    // JSON.parse makes "__proto__" an own key, as the API server's JSON does.
    const data = JSON.parse(`{"authorization":"${b64("Bearer t0k")}","__proto__":"${b64("x")}"}`) as Record<
      string,
      string
    >;
    const good: Secret = { metadata: { name: "s" }, data };
    const ok = resolveServer(spec, lookup({ services: [svc], secrets: [good] }));
    expect(ok.ok && { ...(ok.entry["headers"] as object) }).toEqual({
      authorization: "Bearer t0k",
      ["__proto__"]: "x",
    });
    const bad: Secret = { metadata: { name: "s" }, data: { authorization: b64("${env:SESSION_SECRET}") } };
    const refused = resolveServer(spec, lookup({ services: [svc], secrets: [bad] }));
    expect(refused).toMatchObject({ ok: false, reason: "InvalidCredential" });
    expect(JSON.stringify(refused)).not.toContain("SESSION_SECRET");
  });
});
