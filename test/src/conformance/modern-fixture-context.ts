import type { RequestStateCodec, ServerNotifier } from "@modelcontextprotocol/server";

/** What the per-request servers of the 2026 fixture share: the listen bus and the requestState sealer. */
export interface ModernFixtureShared {
  /** Publishes list/resource changes to every open `subscriptions/listen` stream of the fixture's handler. */
  readonly notify: ServerNotifier;
  /** HMAC-seals and verifies `requestState` (per-process key: every round of a flow reaches this process). */
  readonly requestState: RequestStateCodec<Record<string, unknown>>;
}
