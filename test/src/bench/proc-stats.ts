import { readFileSync } from "node:fs";

// Linux reports utime and stime in clock ticks; USER_HZ is 100 on every mainstream Linux build.
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) a process has used so far, read from `/proc/<pid>/stat`; 0 once it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces; fields 14 and 15 are counted from after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** Resident set size of a process in bytes, from `/proc/<pid>/status` (`VmRSS`); 0 once it is gone. */
export function rssBytes(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** This process's own CPU seconds (user + system). */
export function ownCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** Megabytes, one decimal, for tables. */
export const mb = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
