export { createCallBridge, type CallBridge } from "./call-bridge";
export type { ModernCallInput, ModernCallOutcome, ModernCaller } from "./modern-call";
export { modernSessionKey } from "./modern-key";
