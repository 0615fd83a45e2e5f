import type { Response } from "express";

/** What the standalone forwarder learnt of a POST it passes on: its era, parsed body and method (read once). */
export interface DecidedEra {
  era: "legacy" | "modern";
  body: Record<string, unknown>;
  /** The JSON-RPC method of a request; "" for a notification or response. */
  method: string;
}

const KEY = "mcpGatewayDecidedEra";

/** Records the forwarder's decision on the response, for the handlers after it (the modern front end). */
export function rememberEra(response: Response, decided: DecidedEra): void {
  (response.locals as Record<string, unknown>)[KEY] = decided;
}

/** The decision the forwarder recorded, if it ran (standalone); undefined behind Envoy. */
export function decidedEra(response: Response): DecidedEra | undefined {
  return (response.locals as Record<string, unknown>)[KEY] as DecidedEra | undefined;
}
