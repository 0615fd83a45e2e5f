import type { Response } from "express";
import type { ReleaseSlot } from "@mcp-gateway/core";

/** Gives a slot back when the response closes (at once if the client already left while its request was checked). */
export function releaseOnClose(response: Response, release: ReleaseSlot): void {
  response.once("close", release);
  if (response.destroyed || response.writableFinished) release();
}
