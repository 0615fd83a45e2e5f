import { globToRegExp } from "../catalog/glob";
import type { PolicyConfig, RateLimitConfig } from "../config/security-schema";

/** What a policy is asked about: a tool or prompt by its exposed (prefixed) name, a resource by its exposed URI. */
export type TargetKind = "tool" | "prompt" | "resource";

// Dot segments, encoded dots and separators, backslashes, and the control characters URL parsers strip (`.\t.` is `..`).
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const TRAVERSAL_RE = /(^|[/\\])\.\.?([/\\]|$)|%2e|%2f|%5c|\\|[\u0000-\u001f\u007f-\u009f]/i;

const matcher = (globs: readonly string[]): ((name: string) => boolean) => {
  if (globs.includes("*")) return () => true;
  const res = globs.map(globToRegExp);
  return (name) => res.some((re) => re.test(name));
};

/**
 * One consumer's permissions, compiled once. Names are matched exactly as exposed (case-sensitive, no Unicode or
 * percent-decoding): the catalog resolves only exact names, so a look-alike name is an unknown tool, never a match.
 */
export class AccessPolicy {
  private readonly servers: ((name: string) => boolean) | undefined;
  private readonly kinds: Record<TargetKind, (name: string) => boolean>;
  private readonly claimTools: ((name: string) => boolean) | undefined;

  constructor(
    readonly name: string,
    private readonly config: PolicyConfig,
    /** Tools a JWT claim allows on top of the policy (both must allow a tool); undefined: no claim. */
    claimTools?: readonly string[],
  ) {
    this.servers = config.servers ? matcher(config.servers) : undefined;
    this.kinds = { tool: matcher(config.tools), prompt: matcher(config.prompts), resource: matcher(config.resources) };
    this.claimTools = claimTools ? matcher(claimTools) : undefined;
  }

  /** A policy allowing everything (only with `auth: none`). */
  static open(): AccessPolicy {
    return new AccessPolicy("open", { servers: undefined, tools: ["*"], prompts: ["*"], resources: ["*"] });
  }

  /** May this consumer reach `server` at all (also for answers to the server's own requests)? */
  allowsServer(server: string): boolean {
    return this.servers === undefined || this.servers(server);
  }

  /** May this consumer see and use the tool, prompt or resource `exposed` of `server`? */
  allows(kind: TargetKind, exposed: string, server: string): boolean {
    if (!this.allowsServer(server)) return false;
    // A URI with dot segments or encoded dots, slashes or backslashes matches a listed pattern only exactly: a
    // wildcard must not let `fs://public/../secret` through to an upstream that normalizes paths.
    if (kind === "resource" && TRAVERSAL_RE.test(exposed)) return this.config.resources.includes(exposed);
    if (!this.kinds[kind](exposed)) return false;
    return kind !== "tool" || this.claimTools === undefined || this.claimTools(exposed);
  }

  /** The consumer-wide token bucket, if any. */
  get rateLimit(): RateLimitConfig | undefined {
    return this.config.rateLimit;
  }

  /** The token bucket each tool gets per consumer, if any. */
  get toolRateLimit(): RateLimitConfig | undefined {
    return this.config.toolRateLimit;
  }

  /** This policy's request size limit, if it sets one. */
  get maxBodyBytes(): number | undefined {
    return this.config.maxBodyBytes;
  }
}
