import type { GatewayConfig } from "./schema";

/** Consistency of the security sections: every name a consumer, a policy or a rule uses must exist. */
export function checkSecurity(config: GatewayConfig): string[] {
  const issues: string[] = [];
  const servers = new Set(config.servers.map((server) => server.name));
  const policies = config.policies;
  const auth = config.auth === "none" ? undefined : config.auth;
  const names = new Map<string, number>();
  const hashes = new Map<string, number>();
  config.consumers.forEach((consumer, index) => {
    const at = `consumers[${index}]`;
    // Compared in lower case, as the admin API compares them (consumerNameKey): `ALICE` beside `alice` is a duplicate.
    const key = consumer.name.toLowerCase();
    const sameName = names.get(key);
    if (sameName !== undefined)
      issues.push(`${at}.name: duplicate consumer "${consumer.name}" (also consumers[${sameName}])`);
    names.set(key, index);
    if (!Object.hasOwn(policies, consumer.policy))
      issues.push(`${at}.policy: no policy named "${consumer.policy}" in policies`);
    if (consumer.keyHash === undefined) return;
    const sameKey = hashes.get(consumer.keyHash);
    if (sameKey !== undefined) issues.push(`${at}.keyHash: the same key hash as consumers[${sameKey}]`);
    hashes.set(consumer.keyHash, index);
    if (!auth?.apiKeys) issues.push(`${at}.keyHash: API keys are not enabled (auth.apiKeys)`);
  });
  for (const [name, policy] of Object.entries(policies)) {
    for (const server of policy.servers ?? []) {
      if (!servers.has(server)) issues.push(`policies.${name}.servers: no server named "${server}"`);
    }
  }
  const defaultPolicy = auth?.jwt?.defaultPolicy;
  if (defaultPolicy !== undefined && !Object.hasOwn(policies, defaultPolicy)) {
    issues.push(`auth.jwt.defaultPolicy: no policy named "${defaultPolicy}" in policies`);
  }
  if (auth && !auth.apiKeys && !auth.jwt) issues.push("auth: enable apiKeys, jwt or both (or set auth: none)");
  if (config.admin && !auth?.apiKeys)
    issues.push("admin: the admin API issues API keys, so auth.apiKeys must be enabled");
  config.sanitize.rules.forEach((rule, index) => {
    for (const server of rule.servers ?? []) {
      if (!servers.has(server)) issues.push(`sanitize.rules[${index}].servers: no server named "${server}"`);
    }
  });
  return issues;
}
