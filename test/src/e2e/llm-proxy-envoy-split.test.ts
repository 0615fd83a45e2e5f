import { deployments } from "./stack-modes";
import { describeLlmProxyUnderEnvoy } from "./llm-envoy-suite";

jest.setTimeout(60_000);

// The LLM proxy under the real Envoy, router and broker in two processes on a real Redis: the broker authenticates
// /v1 and audits the LLM request with its own security runtime; token budgets are in Redis. Cases: llm-envoy-suite.ts.
const modes = deployments();
const [label, mode] = modes.all[1]!;
afterAll(() => modes.stop());
describeLlmProxyUnderEnvoy(label, mode);
