import type { HeaderMap } from "./header-map";

/** One `HeaderMatcher` of a route: a string match on the joined values, or presence. */
export interface HeaderMatcher {
  name: string;
  kind: "exact" | "prefix" | "suffix" | "contains" | "present";
  /** The string to compare (string matchers) or whether the header must be present (`present`). */
  value: string | boolean;
  ignoreCase: boolean;
}

/** One route: its match and the action the harness emulates. */
export interface RouteEntry {
  prefix?: string;
  path?: string;
  caseSensitive: boolean;
  headers: HeaderMatcher[];
  cluster: string;
  /** Envoy's route `timeout`; 0 disables it (the default is 15 s). */
  timeoutMs: number;
  prefixRewrite?: string;
  hostRewriteLiteral?: string;
  autoHostRewrite: boolean;
}

/** A virtual host: the domains it answers and its ordered routes. */
export interface VirtualHost {
  name: string;
  domains: string[];
  routes: RouteEntry[];
}

function matchesString(matcher: HeaderMatcher, actual: string): boolean {
  const expected = String(matcher.value);
  const [a, e] = matcher.ignoreCase ? [actual.toLowerCase(), expected.toLowerCase()] : [actual, expected];
  switch (matcher.kind) {
    case "exact":
      return a === e;
    case "prefix":
      return a.startsWith(e);
    case "suffix":
      return a.endsWith(e);
    default:
      return a.includes(e);
  }
}

/** Envoy's header matching: multiple values are joined with ","; an absent header fails every string match. */
function matchesHeader(matcher: HeaderMatcher, headers: HeaderMap): boolean {
  const actual = headers.joined(matcher.name);
  if (matcher.kind === "present") return (actual !== undefined) === matcher.value;
  return actual !== undefined && matchesString(matcher, actual);
}

function matchesPath(route: RouteEntry, rawPath: string): boolean {
  const fold = (s: string) => (route.caseSensitive ? s : s.toLowerCase());
  if (route.path !== undefined) {
    // A `path` route compares the path without its query string.
    const queryAt = rawPath.indexOf("?");
    return fold(queryAt < 0 ? rawPath : rawPath.slice(0, queryAt)) === fold(route.path);
  }
  return fold(rawPath).startsWith(fold(route.prefix ?? "/"));
}

/** Envoy's virtual host selection: exact domain, then `*.suffix`, then `prefix.*`, then `*`; port ignored on retry. */
function selectVirtualHost(vhosts: readonly VirtualHost[], authority: string): VirtualHost | undefined {
  const host = authority.toLowerCase();
  const hostNoPort = host.replace(/:\d+$/, "");
  for (const candidate of [host, hostNoPort]) {
    const exact = vhosts.find((v) => v.domains.includes(candidate));
    if (exact) return exact;
    const suffix = vhosts.find((v) =>
      v.domains.some((d) => d.startsWith("*") && d.length > 1 && candidate.endsWith(d.slice(1))),
    );
    if (suffix) return suffix;
    const prefix = vhosts.find((v) =>
      v.domains.some((d) => d.endsWith("*") && d.length > 1 && candidate.startsWith(d.slice(0, -1))),
    );
    if (prefix) return prefix;
  }
  return vhosts.find((v) => v.domains.includes("*"));
}

/** An HCM route table: picks the first route whose path and header matchers fit, as Envoy does. */
export class RouteTable {
  constructor(private readonly virtualHosts: readonly VirtualHost[]) {}

  /** The route for these request headers (`:authority`, `:path` and the matched headers), or undefined (404). */
  match(headers: HeaderMap): RouteEntry | undefined {
    const vhost = selectVirtualHost(this.virtualHosts, headers.get(":authority") ?? "");
    const path = headers.get(":path") ?? "/";
    return vhost?.routes.find((r) => matchesPath(r, path) && r.headers.every((m) => matchesHeader(m, headers)));
  }

  /** Every cluster a route points at. */
  clusterNames(): string[] {
    return this.virtualHosts.flatMap((v) => v.routes.map((r) => r.cluster));
  }
}
