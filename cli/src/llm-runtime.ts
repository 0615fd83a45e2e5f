import {
  createSecurity,
  openTokenBudgets,
  type GatewayConfig,
  type Logger,
  type Security,
  type TokenBudgets,
} from "@mcp-gateway/core";
import type { Roles } from "./gateway-process";

/**
 * What a broker's LLM endpoints need from its process: the consumers' token budgets (in `rateLimits.store`, shared by
 * replicas when it is Redis), and, in a broker behind a router in another process, a security runtime of their own.
 * Envoy sends `/v1/*` to the broker without ext_proc, so no router authenticates or audits those requests: that
 * broker authenticates the caller and writes the LLM request's audit event itself (the tool calls it makes go through
 * Envoy and the router, and are audited there).
 */
export interface LlmRuntime {
  tokenBudgets: TokenBudgets;
  llmSecurity?: Security;
  /** Applies a reloaded config (consumers, policies, JWT settings) to the LLM endpoints' own security runtime. */
  reconfigure(config: GatewayConfig): void;
  close(): Promise<void>;
}

/** Opens the LLM runtime of a process that runs the broker; undefined for a router alone. */
export async function openLlmRuntime(
  config: GatewayConfig,
  roles: Roles,
  logger: Logger,
): Promise<LlmRuntime | undefined> {
  if (!roles.broker) return undefined;
  const tokenBudgets = await openTokenBudgets(config.rateLimits.store ?? config.sessions.store);
  const brokerAlone = !roles.router && roles.standalone !== true;
  // A split deployment requires sessions.secret (checked when the context opens); with auth: none nothing is checked.
  const secret = config.sessions.secret;
  let llmSecurity: Security | undefined;
  try {
    if (brokerAlone && config.auth !== "none" && secret !== undefined)
      llmSecurity = await createSecurity(config, {
        logger: logger.child({ component: "llm-security" }),
        secret,
        enforces: true,
      });
  } catch (error: unknown) {
    await tokenBudgets.close();
    throw error;
  }
  return {
    tokenBudgets,
    ...(llmSecurity ? { llmSecurity } : {}),
    reconfigure: (next) => llmSecurity?.reconfigure(next),
    close: async () => {
      await llmSecurity?.close();
      await tokenBudgets.close();
    },
  };
}
