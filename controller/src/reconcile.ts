import {
  DESTINATION_HEADER,
  FINALIZER,
  GROUP,
  VERSION,
  type HTTPRoute,
  type MCPServer,
  type MCPServerStatus,
  type Secret,
  type Service,
} from "./api-types";
import { isConflict, isNotFound, type KubeApi } from "./kube";
import {
  assignShards,
  extProcTimeoutMs,
  MANAGED_BY,
  renderConfig,
  renderDirectRoute,
  renderExtProc,
  renderHttpRoute,
  shardIndex,
  shardName,
  type RouteSettings,
  type RoutedServer,
} from "./render";
import { resolveServer, type Resolution } from "./resolve";
import { desiredStatus, type GatewayUpstream } from "./status";

/** Settings of one reconcile pass. */
export interface ReconcileSettings {
  namespace: string;
  clusterDomain: string;
  /** The Secret the rendered config is written to (key config.yaml). */
  configSecret: string;
  /** The operator's base config (consumers, policies, sessions…): everything but MCPServer-made servers. */
  baseConfig: Record<string, unknown>;
  /** The Gateway API objects to write; none when unset. */
  routes: RouteSettings | undefined;
  /** The gateway's /status URL; Ready stays Unknown without it. */
  statusUrl: string | undefined;
}

/** What a pass did, for logs and events. */
export interface ReconcileResult {
  configChanged: boolean;
  accepted: string[];
  rejected: { name: string; reason: string; message: string }[];
}

const base = (namespace: string, group: string, plural: string): string =>
  `${group === "" ? "/api/v1" : `/apis/${group}`}/namespaces/${namespace}/${plural}`;

interface List<T> {
  items: T[];
}

/** Lists a namespaced collection; an API the server does not serve (Gateway API CRDs missing) counts as empty. */
async function list<T>(kube: KubeApi, path: string, optional = false): Promise<T[]> {
  try {
    return (await kube.request<List<T>>("GET", path)).items;
  } catch (error) {
    if (optional && isNotFound(error)) return [];
    throw error;
  }
}

/** An object to write: its name, and whatever else its kind has. */
type Desired = Record<string, unknown> & { metadata: { name: string } & Record<string, unknown> };

/** Creates `desired`, or merge-patches the existing object to match it (lists replaced, maps merged). */
async function upsert(kube: KubeApi, collection: string, desired: Desired): Promise<void> {
  const path = `${collection}/${desired.metadata.name}`;
  try {
    await kube.request("GET", path);
  } catch (error) {
    if (!isNotFound(error)) throw error;
    await kube.request("POST", collection, desired);
    return;
  }
  await kube.request("PATCH", path, desired, "application/merge-patch+json");
}

/** Writes the config Secret when its text differs; returns whether it did. */
async function writeConfig(kube: KubeApi, settings: ReconcileSettings, text: string): Promise<boolean> {
  const collection = base(settings.namespace, "", "secrets");
  const encoded = Buffer.from(text, "utf8").toString("base64");
  let current: Secret | undefined;
  try {
    current = await kube.request<Secret>("GET", `${collection}/${settings.configSecret}`);
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  if (current?.data?.["config.yaml"] === encoded) return false;
  const labels = { "app.kubernetes.io/managed-by": "mcp-gateway-controller" };
  await upsert(kube, collection, {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: settings.configSecret, namespace: settings.namespace, labels },
    type: "Opaque",
    data: { "config.yaml": encoded },
  });
  return true;
}

/** The gateway's upstreams by name, or the error asking for them (never thrown: status is best effort). */
async function gatewayUpstreams(
  url: string | undefined,
): Promise<{ upstreams: Map<string, GatewayUpstream>; error?: string }> {
  const upstreams = new Map<string, GatewayUpstream>();
  if (!url) return { upstreams, error: "no gateway status URL configured" };
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    if (!response.ok) return { upstreams, error: `gateway /status answered ${response.status}` };
    const body = (await response.json()) as { upstreams?: GatewayUpstream[] };
    for (const upstream of body.upstreams ?? []) upstreams.set(upstream.name, upstream);
    return { upstreams };
  } catch (error) {
    return { upstreams, error: `gateway /status unreachable: ${(error as Error).message}` };
  }
}

/** Adds or removes this controller's finalizer (guarded by resourceVersion). */
async function setFinalizer(kube: KubeApi, collection: string, server: MCPServer, present: boolean): Promise<void> {
  const others = (server.metadata.finalizers ?? []).filter((f) => f !== FINALIZER);
  const finalizers = present ? [...others, FINALIZER] : others;
  const patch = { metadata: { finalizers, resourceVersion: server.metadata.resourceVersion } };
  await kube.request("PATCH", `${collection}/${server.metadata.name}`, patch, "application/merge-patch+json");
}

/**
 * One level-triggered pass over the namespace: resolves every MCPServer, writes the config Secret and the Gateway
 * API objects from the accepted ones, then releases deleted MCPServers (finalizer) and writes each one's status.
 */
export async function reconcile(kube: KubeApi, settings: ReconcileSettings): Promise<ReconcileResult> {
  const { namespace } = settings;
  const serversPath = base(namespace, `${GROUP}/${VERSION}`, "mcpservers");
  const [servers, services, secrets, routes] = await Promise.all([
    list<MCPServer>(kube, serversPath),
    list<Service>(kube, base(namespace, "", "services")),
    list<Secret>(kube, base(namespace, "", "secrets")),
    list<HTTPRoute>(kube, base(namespace, "gateway.networking.k8s.io/v1", "httproutes"), true),
  ]);
  const byName = <T extends { metadata: { name: string } }>(items: T[]) =>
    new Map(items.map((i) => [i.metadata.name, i]));
  const [serviceMap, secretMap, routeMap] = [byName(services), byName(secrets), byName(routes)];
  const lookup = {
    namespace,
    clusterDomain: settings.clusterDomain,
    service: (name: string) => serviceMap.get(name),
    secret: (name: string) => secretMap.get(name),
    httpRoute: (name: string) => routeMap.get(name),
  };
  const live = servers.filter((s) => !s.metadata.deletionTimestamp);
  const resolutions = new Map<string, Resolution>(live.map((s) => [s.metadata.name, resolveServer(s, lookup)]));
  const accepted = live.filter((s) => resolutions.get(s.metadata.name)?.ok);
  const entries = accepted.map((s) => (resolutions.get(s.metadata.name) as Extract<Resolution, { ok: true }>).entry);
  // Written even with no servers left (servers: []): keeping the last config would leave deleted servers routable.
  const configChanged = await writeConfig(kube, settings, renderConfig(settings.baseConfig, entries));
  if (settings.routes) {
    const routeSettings = { messageTimeoutMs: extProcTimeoutMs(settings.baseConfig), ...settings.routes };
    await writeRoutes(kube, routeSettings, accepted, resolutions, routes);
  }
  for (const server of servers) {
    if (server.metadata.deletionTimestamp) {
      if (server.metadata.finalizers?.includes(FINALIZER)) await setFinalizer(kube, serversPath, server, false);
    } else if (!server.metadata.finalizers?.includes(FINALIZER)) {
      await setFinalizer(kube, serversPath, server, true);
    }
  }
  await writeStatuses(kube, serversPath, live, resolutions, settings.statusUrl);
  return {
    configChanged,
    accepted: accepted.map((s) => s.metadata.name),
    rejected: live.flatMap((s) => {
      const r = resolutions.get(s.metadata.name);
      return r && !r.ok ? [{ name: s.metadata.name, reason: r.reason, message: r.message }] : [];
    }),
  };
}

/** The shard HTTPRoutes among `routes` by shard index: this controller's (its label) and others' (names taken). */
function shardRoutes(
  settings: RouteSettings,
  routes: readonly HTTPRoute[],
): { managed: Map<number, HTTPRoute>; taken: Set<number> } {
  const managed = new Map<number, HTTPRoute>();
  const taken = new Set<number>();
  for (const route of routes) {
    const index = shardIndex(settings, route.metadata.name);
    if (index === undefined) continue;
    if (route.metadata.labels?.[MANAGED_BY] === "mcp-gateway-controller") managed.set(index, route);
    else taken.add(index);
  }
  return { managed, taken };
}

/** Which shard each server's rule is in now (the lowest when a failed pass left it in two). */
function currentPlacement(shards: Map<number, HTTPRoute>): Map<string, number> {
  const placement = new Map<string, number>();
  for (const [index, route] of [...shards].sort(([a], [b]) => b - a)) {
    for (const rule of route.spec?.rules ?? []) {
      for (const match of rule.matches ?? []) {
        const header = match.headers?.find((h) => h.name.toLowerCase() === DESTINATION_HEADER);
        if (header) placement.set(header.value, index);
      }
    }
  }
  return placement;
}

/**
 * The shard HTTPRoutes (one rule per accepted server, {@link assignShards}), the direct route without ext_proc and
 * the ext_proc attachment; then deletes the shards no longer needed. The attachment is written before the routes,
 * so a new shard has ext_proc from its first moment.
 */
async function writeRoutes(
  kube: KubeApi,
  routeSettings: RouteSettings,
  accepted: MCPServer[],
  resolutions: Map<string, Resolution>,
  existing: readonly HTTPRoute[],
): Promise<void> {
  const routed: RoutedServer[] = accepted.map((s) => {
    const r = resolutions.get(s.metadata.name) as Extract<Resolution, { ok: true }>;
    return {
      name: s.metadata.name,
      ...r.backend,
      path: s.spec.path ?? "/mcp",
      ...(s.spec.timeout ? { timeout: s.spec.timeout } : {}),
    };
  });
  const { managed: current, taken } = shardRoutes(routeSettings, existing);
  const shards = assignShards(routed, currentPlacement(current), taken);
  const wanted = shards.flatMap((servers, index) => (index === 0 || servers.length > 0 ? [index] : []));
  const extProc = renderExtProc(
    routeSettings,
    wanted.map((index) => shardName(routeSettings, index)),
  );
  if (extProc) {
    const collection =
      routeSettings.extProc === "istio"
        ? base(routeSettings.namespace, "networking.istio.io/v1alpha3", "envoyfilters")
        : base(routeSettings.namespace, "gateway.envoyproxy.io/v1alpha1", "envoyextensionpolicies");
    await upsert(kube, collection, extProc as Desired);
  }
  const routes = base(routeSettings.namespace, "gateway.networking.k8s.io/v1", "httproutes");
  for (const index of wanted) {
    await upsert(kube, routes, renderHttpRoute(routeSettings, shards[index] ?? [], index) as Desired);
  }
  await upsert(kube, routes, renderDirectRoute(routeSettings) as Desired);
  for (const [index, route] of current) {
    if (wanted.includes(index)) continue;
    // Only if unchanged since listed: a route someone relabelled or replaced meanwhile is not ours to delete.
    const preconditions = { uid: route.metadata.uid, resourceVersion: route.metadata.resourceVersion };
    await kube
      .request("DELETE", `${routes}/${route.metadata.name}`, { kind: "DeleteOptions", apiVersion: "v1", preconditions })
      .catch((error: unknown) => {
        // Gone already, or changed since listed (409: the precondition failed): the next pass looks again.
        if (!isNotFound(error) && !isConflict(error)) throw error;
      });
  }
}

/** Writes each live MCPServer's status when it differs from the desired one. */
async function writeStatuses(
  kube: KubeApi,
  serversPath: string,
  live: MCPServer[],
  resolutions: Map<string, Resolution>,
  statusUrl: string | undefined,
): Promise<void> {
  const gateway = await gatewayUpstreams(statusUrl);
  const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  for (const server of live) {
    const resolution = resolutions.get(server.metadata.name) as Resolution;
    const upstream = gateway.upstreams.get(server.metadata.name);
    const status = desiredStatus(server, resolution, upstream, gateway.error, now);
    if (canonical(status) === canonical(server.status ?? {})) continue;
    await recordTransition(kube, server, status);
    const path = `${serversPath}/${server.metadata.name}/status`;
    try {
      // A full status (null for fields that no longer apply) so a merge patch leaves nothing stale behind.
      const cleared = {
        upstream: null,
        protocolVersion: null,
        generation: null,
        toolCount: null,
        promptCount: null,
        resourceCount: null,
        lastError: null,
      };
      await kube.request("PATCH", path, { status: { ...cleared, ...status } }, "application/merge-patch+json");
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
}

/** JSON with sorted keys and without undefined fields: the API server re-encodes objects with sorted keys. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

/** An Event on the MCPServer when its Accepted or Ready condition changes (not on every pass: no event floods). */
async function recordTransition(kube: KubeApi, server: MCPServer, status: MCPServerStatus): Promise<void> {
  for (const type of ["Accepted", "Ready"]) {
    const now = status.conditions?.find((c) => c.type === type);
    const before = server.status?.conditions?.find((c) => c.type === type);
    if (!now || (before && before.status === now.status && before.reason === now.reason)) continue;
    const namespace = server.metadata.namespace ?? "default";
    const time = new Date().toISOString();
    await kube
      .request("POST", `/api/v1/namespaces/${namespace}/events`, {
        apiVersion: "v1",
        kind: "Event",
        metadata: { generateName: `${server.metadata.name}.`, namespace },
        involvedObject: {
          apiVersion: `${GROUP}/${VERSION}`,
          kind: "MCPServer",
          name: server.metadata.name,
          namespace,
          uid: server.metadata.uid,
        },
        type: now.status === "False" ? "Warning" : "Normal",
        reason: now.reason,
        message: `${type}=${now.status}: ${now.message}`,
        firstTimestamp: time,
        lastTimestamp: time,
        count: 1,
        source: { component: "mcp-gateway-controller" },
      })
      .catch(() => undefined); // Events are best effort: never fail a pass over one.
  }
}
