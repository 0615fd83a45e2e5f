import { lookupTable } from "../own-keys";

const UNIT_MS = lookupTable({ ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 });
const DURATION_RE = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/** Parses `250ms`, `5s`, `10m`, `24h`, `7d` or a number of seconds into milliseconds; undefined when malformed. */
export function parseDurationMs(value: string | number): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? value * 1000 : undefined;
  const match = DURATION_RE.exec(value.trim());
  if (!match) return undefined;
  const [, amount, unit] = match;
  return Math.round(Number(amount) * (UNIT_MS[unit ?? "s"] ?? 1000));
}
