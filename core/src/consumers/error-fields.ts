/**
 * The `code` of a Node system error (`ENOENT`, `EEXIST`, ...). Checked structurally: errors from another realm (a
 * vm context, Jest) are not `instanceof Error` here.
 */
export function errorCode(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error ? String(error.code) : undefined;
}

/** The message of anything thrown, checked structurally for the same reason as {@link errorCode}. */
export function errorMessage(error: unknown): string {
  if (typeof error === "object" && error !== null && "message" in error) return String(error.message);
  return String(error);
}
