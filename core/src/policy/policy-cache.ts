import type { PolicyConfig } from "../config/security-schema";
import { AccessPolicy } from "./access-policy";

const DENY_ALL: PolicyConfig = { servers: [], tools: [], prompts: [], resources: [] };

/**
 * Compiled policies by name (and JWT tools claim), rebuilt lazily after a reload: compiling globs once per policy
 * keeps the per-request check to a few regex tests. A name that no longer exists denies everything.
 */
export class PolicyCache {
  private compiled = new Map<string, AccessPolicy>();
  private source: Readonly<Record<string, PolicyConfig>> | undefined;

  /** The compiled policy `name` of `policies`, narrowed by a tools claim when one is given. */
  get(policies: Readonly<Record<string, PolicyConfig>>, name: string, claimTools?: readonly string[]): AccessPolicy {
    if (policies !== this.source) {
      this.compiled = new Map();
      this.source = policies;
    }
    const key = claimTools ? JSON.stringify([name, ...claimTools]) : name;
    let policy = this.compiled.get(key);
    if (!policy) {
      policy = new AccessPolicy(
        name,
        (Object.hasOwn(policies, name) ? policies[name] : undefined) ?? DENY_ALL,
        claimTools,
      );
      // Distinct tools claims could grow this without bound: keep it to a working set.
      if (this.compiled.size >= 1000) this.compiled.clear();
      this.compiled.set(key, policy);
    }
    return policy;
  }
}
