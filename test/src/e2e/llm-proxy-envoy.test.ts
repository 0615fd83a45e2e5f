import { deployments } from "./stack-modes";
import { describeLlmProxyUnderEnvoy } from "./llm-envoy-suite";

jest.setTimeout(60_000);

// The LLM proxy under the real Envoy, router and broker in one process (memory store); the split deployment on a real
// Redis is llm-proxy-envoy-split.test.ts. The cases are in llm-envoy-suite.ts.
const modes = deployments();
const [label, mode] = modes.all[0]!;
afterAll(() => modes.stop());
describeLlmProxyUnderEnvoy(label, mode);
