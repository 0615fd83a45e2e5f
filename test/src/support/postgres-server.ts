import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { chown, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Client } from "pg";
import { freePort } from "./redis-server";

const execFileAsync = promisify(execFile);

/** A real PostgreSQL server started for a test on a free loopback port, trust auth, user `postgres`. */
export interface PostgresServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

interface Account {
  uid: number;
  gid: number;
}

const PG_ROOT = "/usr/lib/postgresql";

/** The `bin` directory of the highest PostgreSQL major installed from Debian. */
async function findBinDir(): Promise<string> {
  const entries = await readdir(PG_ROOT).catch(() => [] as string[]);
  const majors = entries
    .map(Number)
    .filter((major) => Number.isInteger(major) && existsSync(join(PG_ROOT, String(major), "bin", "postgres")));
  if (majors.length === 0) {
    throw new Error(`no PostgreSQL server under ${PG_ROOT}/<major>/bin (apt-get install postgresql)`);
  }
  return join(PG_ROOT, String(Math.max(...majors)), "bin");
}

// PostgreSQL refuses to run as root. As root we run initdb and postgres as the `postgres` system user (created by the
// Debian package) through spawn's uid/gid rather than `runuser`: the server is then our direct child, so SIGINT
// reaches the postmaster itself and its exit is the child's exit.
async function serverAccount(): Promise<Account | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const id = async (flag: string): Promise<number> => {
    const { stdout } = await execFileAsync("id", [flag, "postgres"]).catch(() => {
      throw new Error("running as root needs the `postgres` system user (apt-get install postgresql)");
    });
    return Number(stdout.trim());
  };
  return { uid: await id("-u"), gid: await id("-g") };
}

async function initdb(bin: string, dataDir: string, account: Account | undefined): Promise<void> {
  const args = ["-D", dataDir, "-U", "postgres", "--auth=trust", "--no-sync", "--no-instructions", "-E", "UTF8"];
  try {
    await execFileAsync(join(bin, "initdb"), [...args, "--locale=C"], {
      ...account,
      env: { ...process.env, LC_ALL: "C" },
    });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? "";
    throw new Error(`initdb failed: ${error instanceof Error ? error.message : String(error)} ${stderr}`);
  }
}

async function acceptsConnections(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function waitForReady(child: ChildProcess, url: string, output: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  let exit: Error | undefined;
  child.once("exit", (code, signal) => {
    exit = new Error(`postgres exited with ${String(code ?? signal)}: ${output()}`);
  });
  child.once("error", (error) => {
    exit = new Error(`cannot start postgres (apt-get install postgresql): ${error.message}`);
  });
  while (!(await acceptsConnections(url))) {
    if (exit) throw exit;
    if (Date.now() > deadline) throw new Error(`postgres at ${url} not ready: ${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGINT"); // fast shutdown: disconnect clients, no checkpoint wait worth mentioning with fsync off
  });
}

/**
 * Starts a throwaway PostgreSQL (Debian's binaries, installed by .ci/run when missing) in a fresh temporary directory.
 * Fails loudly when PostgreSQL is missing: the PostgreSQL tests are never skipped.
 */
export async function startPostgresServer(): Promise<PostgresServer> {
  const bin = await findBinDir();
  const account = await serverAccount();
  const dir = await mkdtemp(join(tmpdir(), "mcpgw-pg-"));
  const dataDir = join(dir, "data");
  if (account) await chown(dir, account.uid, account.gid);
  let child: ChildProcess | undefined;
  try {
    await initdb(bin, dataDir, account);
    const port = await freePort();
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    const settings = ["listen_addresses=127.0.0.1", "fsync=off", "synchronous_commit=off", "full_page_writes=off"];
    const args = ["-D", dataDir, "-p", String(port), "-k", dir, ...settings.flatMap((s) => ["-c", s])];
    child = spawn(join(bin, "postgres"), args, { ...account, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const collect = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-4_000);
    };
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    await waitForReady(child, url, () => output);
    const running = child;
    return {
      url,
      port,
      stop: async () => {
        await stopChild(running);
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    if (child) await stopChild(child);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
