import type { RequestStateCodec, ServerNotifier } from "@modelcontextprotocol/server";
import type { ListGenerations } from "./fixture-list-generations";
import type { TaskStore } from "./modern-fixture-task-store";

/** What the per-request servers of the 2026 fixture share: the listen bus, the requestState sealer, the lists. */
export interface ModernFixtureShared {
  /** Publishes list/resource changes to every open `subscriptions/listen` stream of the fixture's handler. */
  readonly notify: ServerNotifier;
  /** HMAC-seals and verifies `requestState` (per-process key: every round of a flow reaches this process). */
  readonly requestState: RequestStateCodec<Record<string, unknown>>;
  /** The generations the trigger tools bump (each request's McpServer lists the current ones). */
  readonly lists: ListGenerations;
  /** The tasks of the fixture (tasks extension): every request's McpServer reads and updates the same store. */
  readonly tasks: TaskStore;
}
