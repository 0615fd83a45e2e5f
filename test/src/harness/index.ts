/** Public API of the Envoy-faithful test harness (see harness.ts). */
export { startEnvoyHarness, type EnvoyHarness, type EnvoyHarnessOptions } from "./harness";
export type { HarnessRecord, LocalReplyRecord, ModeOverrideRecord, RoutedRequest } from "./harness-record";
export { loadEnvoyConfig, parseEnvoyConfig, type Cluster, type EnvoyConfig } from "./envoy-config";
export type { ExtProcSettings, ProcessingModes } from "./ext-proc-config";
export { EnvoyConfigError } from "./yaml-fields";
export type * from "./ext-proc-messages";
