import type { Phase, ProcessingResponse } from "./ext-proc-messages";

/** A request the harness routed upstream: the cluster and the path it sent. */
export interface RoutedRequest {
  cluster: string;
  path: string;
}

/** A `mode_override` the processor sent, and whether Envoy would apply it. */
export interface ModeOverrideRecord {
  phase: Phase;
  modeOverride: NonNullable<ProcessingResponse["mode_override"]>;
  applied: boolean;
}

/** A response the harness generated itself, with Envoy's details string (useful in failing tests). */
export interface LocalReplyRecord {
  status: number;
  details: string;
}

/** What the harness records for tests, newest last. */
export interface HarnessRecord {
  lastRoutes: RoutedRequest[];
  modeOverrides: ModeOverrideRecord[];
  localReplies: LocalReplyRecord[];
}
