/**
 * The `code` of a Node system error (`ENOENT`, `EEXIST`, ...). Checked structurally: errors from another realm (a
 * vm context, Jest) are not `instanceof Error` here.
 */
export function errorCode(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error ? String(error.code) : undefined;
}
