import { parseArgs } from "node:util";
import { benchClients } from "./scale-clients";
import { benchReplicas } from "./scale-replicas";
import { benchSessions } from "./scale-sessions";

const USAGE = `npm run bench:scale -- [--parts clients,sessions,replicas] [--clients 100,1000,5000] [--seconds 30]
  [--rate 200] [--sessions 50000] [--replica-sessions 200] [--replica-calls 10]`;

const positive = (flag: string, text: string): number => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${flag}: expected a whole number, got "${text}"\n${USAGE}`);
  return n;
};

/** The flags, checked (node:util parseArgs, strict: an unknown flag is an error). */
function options(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      parts: { type: "string", default: "clients,sessions,replicas" },
      clients: { type: "string", default: "100,1000,5000" },
      seconds: { type: "string", default: "30" },
      rate: { type: "string", default: "200" },
      sessions: { type: "string", default: "50000" },
      "replica-sessions": { type: "string", default: "200" },
      "replica-calls": { type: "string", default: "10" },
    },
  });
  const parts = values.parts.split(",");
  const unknown = parts.filter((p) => !["clients", "sessions", "replicas"].includes(p));
  if (unknown.length) throw new Error(`--parts: unknown ${unknown.join(", ")}\n${USAGE}`);
  return {
    parts,
    clients: {
      counts: values.clients.split(",").map((c) => positive("clients", c)),
      seconds: positive("seconds", values.seconds),
      rate: Math.max(1, positive("rate", values.rate)),
    },
    sessions: positive("sessions", values.sessions),
    replicaSessions: positive("replica-sessions", values["replica-sessions"]),
    replicaCalls: positive("replica-calls", values["replica-calls"]),
  };
}

/**
 * `npm run bench:scale`: many SDK clients on one replica, many sessions on one replica (memory store and Redis), and
 * two replicas sharing Redis. Markdown tables on stdout; exit code 1 when any call failed. Nothing asserts on time.
 */
async function main(argv: string[]): Promise<number> {
  const o = options(argv);
  console.log(`file descriptor limit of this process and its children: ${await fdLimit()}\n`);
  let failed = false;
  if (o.parts.includes("clients")) {
    console.log(
      `### ${o.clients.counts.join(", ")} MCP SDK clients with GET streams, ${o.clients.seconds} s of calls, ${o.clients.rate} calls/s offered by all clients together\n`,
    );
    const result = await benchClients(o.clients);
    console.log(`${result.table}\n`);
    failed ||= result.failed;
  }
  if (o.parts.includes("sessions")) {
    console.log(
      `### ${o.sessions} sessions through one replica (initialize, initialized, one tools/call each; raw HTTP)\n`,
    );
    const result = await benchSessions(o.sessions);
    console.log(`${result.table}\n`);
    failed ||= result.failed;
  }
  if (o.parts.includes("replicas")) {
    console.log(
      `### two replicas sharing Redis: ${o.replicaSessions} sessions opened on A, ${o.replicaCalls} calls each on A and on B\n`,
    );
    const result = await benchReplicas(o.replicaSessions, o.replicaCalls);
    console.log(`${result.table}\n`);
    failed ||= result.failed;
  }
  return failed ? 1 : 0;
}

/** `ulimit -n` as this process sees it (children inherit it): the ceiling on sockets per process. */
async function fdLimit(): Promise<string> {
  const { readFile } = await import("node:fs/promises");
  const line = (await readFile("/proc/self/limits", "utf8")).split("\n").find((l) => l.startsWith("Max open files"));
  const [soft, hard] = line?.split(/\s{2,}/).slice(1, 3) ?? [];
  return `soft ${soft ?? "?"}, hard ${hard ?? "?"}`;
}

void main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  },
);
