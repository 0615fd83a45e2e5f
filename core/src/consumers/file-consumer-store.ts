import { mkdir, readFile, stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { z } from "zod";
import { writeFileAtomic } from "./atomic-write";
import { ConsumerExistsError, ConsumerNotFoundError, ConsumerRevokedError } from "./consumer-errors";
import {
  byConsumerName,
  consumerRecordSchema,
  copyConsumerRecord,
  type ConsumerRecord,
  type ConsumerStore,
} from "./consumer-store";
import { withFileLock } from "./file-lock";
import { errorCode } from "./error-fields";

const fileSchema = z.object({ version: z.literal(1), consumers: z.array(consumerRecordSchema) });

type Records = Map<string, ConsumerRecord>;

/** Identity of the file's current content: every atomic write renames a new inode into place. */
async function fileIdentity(path: string): Promise<string> {
  try {
    const info = await stat(path, { bigint: true });
    return `${info.ino}:${info.mtimeNs}:${info.size}`;
  } catch (error: unknown) {
    if (errorCode(error) === "ENOENT") return "missing";
    throw error;
  }
}

async function readRecords(path: string): Promise<Records> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error: unknown) {
    if (errorCode(error) === "ENOENT") return new Map();
    throw error;
  }
  let parsed: z.infer<typeof fileSchema>;
  try {
    parsed = fileSchema.parse(JSON.parse(text));
  } catch (error: unknown) {
    throw new Error(`consumer file ${path} is not a valid consumer list`, { cause: error });
  }
  return new Map(parsed.consumers.map((record) => [record.name, record]));
}

/**
 * Consumers in one JSON file (mode 0600). Writes are serialized within the process by a promise chain and across
 * processes by a lock file, and land atomically (temporary file + rename). Reads re-load the file whenever it changed
 * on disk, so changes made by another process are seen.
 */
export class FileConsumerStore implements ConsumerStore {
  private records: Records = new Map();
  private identity = "";
  private writes: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(readonly path: string) {}

  /** Opens (and creates the directory of) the consumer file at `path`; a missing file is an empty store. */
  static async open(path: string): Promise<FileConsumerStore> {
    const store = new FileConsumerStore(resolve(path));
    await mkdir(dirname(store.path), { recursive: true, mode: 0o700 });
    await store.refresh();
    return store;
  }

  private get lockPath(): string {
    return `${this.path}.lock`;
  }

  /** Re-reads the file when its identity changed since the last read. */
  private async refresh(): Promise<Records> {
    if (this.closed) throw new Error("consumer store is closed");
    const identity = await fileIdentity(this.path);
    if (identity !== this.identity) {
      this.records = await readRecords(this.path);
      this.identity = identity;
    }
    return this.records;
  }

  /** Runs a read-modify-write under the in-process chain and the cross-process lock. */
  private mutate(change: (records: Records) => void): Promise<void> {
    const run = async (): Promise<void> => {
      await withFileLock(this.lockPath, async () => {
        const records = new Map(await this.refresh());
        change(records);
        const consumers = [...records.values()].sort(byConsumerName);
        await writeFileAtomic(this.path, `${JSON.stringify({ version: 1, consumers }, null, 2)}\n`, 0o600);
        this.records = records;
        this.identity = await fileIdentity(this.path);
      });
    };
    const result = this.writes.then(run);
    this.writes = result.catch(() => undefined);
    return result;
  }

  async list(): Promise<ConsumerRecord[]> {
    return [...(await this.refresh()).values()].sort(byConsumerName).map(copyConsumerRecord);
  }

  async get(name: string): Promise<ConsumerRecord | undefined> {
    const record = (await this.refresh()).get(name);
    return record && copyConsumerRecord(record);
  }

  async findByKeyHash(keyHash: string): Promise<ConsumerRecord | undefined> {
    for (const record of (await this.refresh()).values()) {
      if (record.keyHash === keyHash && record.revokedAt === null) return copyConsumerRecord(record);
    }
    return undefined;
  }

  create(record: ConsumerRecord): Promise<void> {
    return this.mutate((records) => {
      if (records.has(record.name)) throw new ConsumerExistsError(record.name);
      records.set(record.name, copyConsumerRecord(record));
    });
  }

  update(record: ConsumerRecord): Promise<void> {
    return this.mutate((records) => {
      const current = records.get(record.name);
      if (!current) throw new ConsumerNotFoundError(record.name);
      if (current.revokedAt !== null) throw new ConsumerRevokedError(record.name);
      records.set(record.name, copyConsumerRecord(record));
    });
  }

  async setPolicy(name: string, policy: string): Promise<ConsumerRecord> {
    let changed: ConsumerRecord | undefined;
    await this.mutate((records) => {
      const current = records.get(name);
      if (!current) throw new ConsumerNotFoundError(name);
      if (current.revokedAt !== null) throw new ConsumerRevokedError(name);
      changed = { ...copyConsumerRecord(current), policy };
      records.set(name, changed);
    });
    return copyConsumerRecord(changed as ConsumerRecord);
  }

  async close(): Promise<void> {
    await this.writes;
    this.closed = true;
  }
}
