import { HEADER_NAME_RE, HEADER_VALUE_RE, nullRecord, serverSchema } from "@mcp-gateway/core";
import type { HTTPRoute, MCPServer, Secret, Service } from "./api-types";

/** What an MCPServer's target, credentials and fields resolved to: a gateway server entry, or why not. */
export type Resolution =
  | { ok: true; entry: Record<string, unknown>; url: string; backend: { service: string; port: number } }
  | { ok: false; reason: string; message: string };

/** The objects of the MCPServer's namespace the controller looks targets and credentials up in. */
export interface Lookup {
  namespace: string;
  clusterDomain: string;
  service(name: string): Service | undefined;
  secret(name: string): Secret | undefined;
  httpRoute(name: string): HTTPRoute | undefined;
}

const fail = (reason: string, message: string): Resolution => ({ ok: false, reason, message });

/** The Service port an MCPServer's target names (directly, or as its HTTPRoute's first backendRef). */
function backendOf(server: MCPServer, lookup: Lookup): { service: string; port: number } | Resolution {
  const { service, httpRoute } = server.spec.target;
  if (service) return { service: service.name, port: service.port };
  const route = httpRoute ? lookup.httpRoute(httpRoute.name) : undefined;
  if (!route) return fail("TargetNotFound", `HTTPRoute ${JSON.stringify(httpRoute?.name)} not found`);
  const ref = route.spec?.rules?.[0]?.backendRefs?.[0];
  if (!ref || (ref.kind ?? "Service") !== "Service" || (ref.group ?? "") !== "" || ref.port === undefined) {
    return fail("UnsupportedTarget", "the HTTPRoute's first rule must have a Service backendRef with a port");
  }
  if (ref.namespace !== undefined && ref.namespace !== lookup.namespace) {
    return fail("UnsupportedTarget", "the HTTPRoute's backendRef must be in the MCPServer's namespace");
  }
  return { service: ref.name, port: ref.port };
}

/** The upstream headers of an MCPServer's credentialRef Secret (each key a header name), or why they cannot be used. */
function headersOf(server: MCPServer, lookup: Lookup): Record<string, string> | Resolution {
  const ref = server.spec.credentialRef;
  if (!ref) return nullRecord<string>();
  const secret = lookup.secret(ref.name);
  if (!secret) return fail("CredentialNotFound", `Secret ${JSON.stringify(ref.name)} not found`);
  // Header names come from the Secret's keys: a record without a prototype (a key may be __proto__).
  const headers = nullRecord<string>();
  for (const [key, encoded] of Object.entries(secret.data ?? {})) {
    const value = Buffer.from(encoded, "base64").toString("utf8");
    // Values are never echoed. `${` would be read as an env reference by the gateway's config loader.
    if (!HEADER_NAME_RE.test(key) || !HEADER_VALUE_RE.test(value) || value.includes("${")) {
      return fail(
        "InvalidCredential",
        `Secret ${JSON.stringify(ref.name)} key ${JSON.stringify(key)} is not a usable header`,
      );
    }
    headers[key] = value;
  }
  return headers;
}

/** Resolves an MCPServer against its namespace's Services, Secrets and HTTPRoutes into a gateway server entry. */
export function resolveServer(server: MCPServer, lookup: Lookup): Resolution {
  const backend = backendOf(server, lookup);
  if ("ok" in backend) return backend;
  const service = lookup.service(backend.service);
  if (!service) return fail("TargetNotFound", `Service ${JSON.stringify(backend.service)} not found`);
  if (!(service.spec?.ports ?? []).some((p) => p.port === backend.port)) {
    return fail("TargetNotFound", `Service ${JSON.stringify(backend.service)} has no port ${backend.port}`);
  }
  const headers = headersOf(server, lookup);
  if ("ok" in headers) return headers as Resolution;
  const host =
    service.spec?.type === "ExternalName" && service.spec.externalName
      ? service.spec.externalName
      : `${backend.service}.${lookup.namespace}.svc.${lookup.clusterDomain}`;
  const url = `${server.spec.scheme ?? "http"}://${host}:${backend.port}${server.spec.path ?? "/mcp"}`;
  const entry = nullRecord<unknown>([
    ["name", server.metadata.name],
    ["url", url],
  ]);
  if (server.spec.prefix !== undefined) entry.prefix = server.spec.prefix;
  if (server.spec.tools) entry.tools = server.spec.tools;
  if (server.spec.timeout) entry.timeout = server.spec.timeout;
  if (Object.keys(headers).length > 0) entry.headers = headers;
  const checked = serverSchema.safeParse(entry);
  if (!checked.success) {
    const first = checked.error.issues[0];
    return fail("Invalid", `${first?.path.join(".") ?? "spec"}: ${first?.message ?? "invalid"}`);
  }
  return { ok: true, entry, url, backend };
}
