/** Methods whose target is a single upstream server: the router sends them there directly. */
export const ROUTED_METHODS = [
  "tools/call",
  "prompts/get",
  "resources/read",
  "resources/subscribe",
  "resources/unsubscribe",
  "completion/complete",
] as const;

/** A method the router sends straight to one upstream. */
export type RoutedMethod = (typeof ROUTED_METHODS)[number];

const ROUTED = new Set<string>(ROUTED_METHODS);

/** True for methods routed to one upstream; everything else is the broker's. */
export function isRoutedMethod(method: string): method is RoutedMethod {
  return ROUTED.has(method);
}
