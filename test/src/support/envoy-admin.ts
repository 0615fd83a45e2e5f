/** One host of a cluster as Envoy's admin `/clusters` lists it. */
export interface ClusterHost {
  cluster: string;
  host: string;
  /** `healthy`, or flags such as `/failed_active_hc/failed_outlier_check`. */
  healthFlags: string;
}

/** Every cluster host and its health flags, from the admin `/clusters` text format (`cluster::host::key::value`). */
export async function clusterHosts(adminUrl: string): Promise<ClusterHost[]> {
  const text = await (await fetch(`${adminUrl}/clusters`)).text();
  const hosts: ClusterHost[] = [];
  for (const line of text.split("\n")) {
    const [cluster, host, key, value] = line.split("::");
    if (key === "health_flags" && cluster && host && value !== undefined)
      hosts.push({ cluster, host, healthFlags: value });
  }
  return hosts;
}

/** The health flags of a cluster's hosts (one entry per host). */
export async function healthFlags(adminUrl: string, cluster: string): Promise<string[]> {
  return (await clusterHosts(adminUrl)).filter((h) => h.cluster === cluster).map((h) => h.healthFlags);
}

/** A counter or gauge from the admin `/stats` (0 when Envoy has no such stat). */
export async function envoyStat(adminUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${adminUrl}/stats?filter=${encodeURIComponent(`^${name}$`)}`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name}: `));
  return line === undefined ? 0 : Number(line.slice(name.length + 2));
}
