import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hashApiKey } from "../auth/api-keys";
import { FileConsumerStore } from "./file-consumer-store";

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), "file-consumers-"));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

const alice = {
  name: "alice",
  policy: "default",
  keyHash: hashApiKey("k"),
  createdAt: "2025-01-01T00:00:00.000Z",
  rotatedAt: null,
  revokedAt: null,
};

describe("FileConsumerStore", () => {
  it("creates missing directories and writes the file with mode 0600", async () => {
    const path = join(directory, "a", "b", "consumers.json");
    const store = await FileConsumerStore.open(path);
    await store.create(alice);
    await store.close();
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it("keeps mode 0600 after later writes", async () => {
    const path = join(directory, "consumers.json");
    const store = await FileConsumerStore.open(path);
    await store.create(alice);
    await store.update({ ...alice, policy: "other" });
    await store.close();
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it("leaves no temporary or lock files behind", async () => {
    const path = join(directory, "consumers.json");
    const store = await FileConsumerStore.open(path);
    await Promise.all([store.create(alice), store.create({ ...alice, name: "bob" })]);
    await store.close();
    expect(await readdir(directory)).toEqual(["consumers.json"]);
  });

  it("stores plain JSON a person can read", async () => {
    const path = join(directory, "consumers.json");
    const store = await FileConsumerStore.open(path);
    await store.create(alice);
    await store.close();
    expect(JSON.parse(await readFile(path, "utf8"))).toEqual({ version: 1, consumers: [alice] });
  });

  it("sees a change another process wrote to the file", async () => {
    const path = join(directory, "consumers.json");
    const store = await FileConsumerStore.open(path);
    await store.create(alice);
    expect(await store.get("alice")).toBeDefined();
    await writeFile(path, JSON.stringify({ version: 1, consumers: [{ ...alice, name: "carol" }] }));
    expect(await store.get("alice")).toBeUndefined();
    expect(await store.get("carol")).toBeDefined();
    await store.close();
  });

  it("rejects a corrupt file with an error naming it", async () => {
    const path = join(directory, "consumers.json");
    await writeFile(path, "{not json");
    await expect(FileConsumerStore.open(path)).rejects.toThrow(`consumer file ${path} is not a valid consumer list`);
  });

  it("refuses to work after close", async () => {
    const store = await FileConsumerStore.open(join(directory, "consumers.json"));
    await store.close();
    await expect(store.list()).rejects.toThrow("closed");
  });
});
