import { mkdir, mkdtemp, rename, rm, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigWatcher, type ConfigWatcherOptions } from "./watch";
import type { GatewayConfig } from "./schema";

const config = (name: string): string =>
  `version: 1\nauth: none\nservers:\n  - { name: ${name}, url: "http://127.0.0.1:1/mcp" }\n`;

const DEBOUNCE_MS = 20;

/** Polls until `ready()` holds; fails with `what` after a bounded wait instead of hanging. */
async function waitFor(what: string, ready: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("ConfigWatcher", () => {
  let dir: string;
  let watcher: ConfigWatcher | undefined;
  let reloads: GatewayConfig[];
  let errors: unknown[];
  const names = (): (string | undefined)[] => reloads.map((c) => c.servers[0]?.name);
  const reloaded = (name: string): Promise<void> =>
    waitFor(`a reload with server "${name}"`, () => names().includes(name));

  const start = (path: string, options: Partial<ConfigWatcherOptions> = {}): void => {
    watcher = new ConfigWatcher(path, {
      env: {},
      debounceMs: DEBOUNCE_MS,
      pollMs: 0,
      onReload: (c) => reloads.push(c),
      onError: (e) => errors.push(e),
      ...options,
    });
    watcher.start();
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "cfg-"));
    reloads = [];
    errors = [];
  });
  afterEach(async () => {
    watcher?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("reloads a good change and keeps the last good config on a bad one", async () => {
    const path = join(dir, "gateway.yaml");
    await writeFile(path, config("first"));
    start(path);

    await writeFile(path, config("second"));
    await reloaded("second");

    await writeFile(path, "version: 1\nauth: none\nservers: [{ name: second, url: not-a-url }]\n");
    await waitFor("a rejected reload", () => errors.length > 0);
    expect(String(errors[0])).toContain("servers[0].url: expected an http(s) URL");
    expect(names()).toEqual(["second"]);
  });

  it("reloads to no servers and back (the last MCPServer removed, then a new one)", async () => {
    const path = join(dir, "gateway.yaml");
    await writeFile(path, config("first"));
    start(path);

    await writeFile(path, "version: 1\nauth: none\nservers: []\n");
    await waitFor("a reload with no servers", () => reloads.some((c) => c.servers.length === 0));
    await writeFile(path, config("third"));
    await reloaded("third");
    expect(reloads.map((c) => c.servers.length)).toEqual([0, 1]);
    expect(errors).toEqual([]);
  });

  it("follows a Kubernetes ConfigMap update (the ..data symlink swapped by rename)", async () => {
    // The layout the kubelet mounts: gateway.yaml -> ..data/gateway.yaml, ..data -> ..<timestamp>/.
    const version = async (name: string): Promise<void> => {
      await mkdir(join(dir, `..${name}`));
      await writeFile(join(dir, `..${name}`, "gateway.yaml"), config(name));
    };
    const swap = async (name: string, old: string): Promise<void> => {
      await version(name);
      await symlink(`..${name}`, join(dir, "..data_tmp"));
      await rename(join(dir, "..data_tmp"), join(dir, "..data"));
      await rm(join(dir, `..${old}`), { recursive: true });
    };
    await version("v1");
    await symlink("..v1", join(dir, "..data"));
    await symlink("..data/gateway.yaml", join(dir, "gateway.yaml"));
    start(join(dir, "gateway.yaml"));

    await swap("v2", "v1");
    await reloaded("v2");
    await swap("v3", "v2");
    await reloaded("v3");
    expect(names()).toEqual(["v2", "v3"]);
    expect(errors).toEqual([]);
  });

  it("follows an editor's rename-and-replace", async () => {
    const path = join(dir, "gateway.yaml");
    await writeFile(path, config("first"));
    start(path);

    await writeFile(join(dir, ".gateway.yaml.swp"), config("second"));
    await rename(join(dir, ".gateway.yaml.swp"), path);
    await reloaded("second");
    expect(errors).toEqual([]);
  });

  it("follows writes to the target of a symlink kept in another folder", async () => {
    await mkdir(join(dir, "real"));
    await mkdir(join(dir, "etc"));
    await writeFile(join(dir, "real", "gateway.yaml"), config("first"));
    await symlink(join(dir, "real", "gateway.yaml"), join(dir, "etc", "gateway.yaml"));
    start(join(dir, "etc", "gateway.yaml"));

    await writeFile(join(dir, "real", "gateway.yaml"), config("second"));
    await reloaded("second");
  });

  it("reports a deleted file once and reloads when it comes back", async () => {
    const path = join(dir, "gateway.yaml");
    await writeFile(path, config("first"));
    start(path);

    await rm(path);
    await waitFor("the missing file to be reported", () => errors.length > 0);
    expect(String(errors[0])).toContain("ENOENT");
    await writeFile(path, config("second"));
    await reloaded("second");
    expect(errors).toHaveLength(1);
  });

  it("does nothing on an event that leaves the content unchanged", async () => {
    const path = join(dir, "gateway.yaml");
    await writeFile(path, config("first"));
    start(path);

    const now = new Date();
    await utimes(path, now, now);
    await writeFile(path, config("first"));
    // Let the debounced check of those events run before the real change below.
    await new Promise((resolve) => setTimeout(resolve, DEBOUNCE_MS * 5));
    await writeFile(path, config("second"));
    await reloaded("second");
    expect(names()).toEqual(["second"]);
  });

  it("notices by polling a change no watched folder reports (a symlink swapped elsewhere)", async () => {
    // etc/gateway.yaml -> links/current -> v1/gateway.yaml; the swap of links/current is in an unwatched folder.
    for (const sub of ["etc", "links", "v1", "v2"]) await mkdir(join(dir, sub));
    await writeFile(join(dir, "v1", "gateway.yaml"), config("v1"));
    await writeFile(join(dir, "v2", "gateway.yaml"), config("v2"));
    await symlink(join(dir, "v1", "gateway.yaml"), join(dir, "links", "current"));
    await symlink(join(dir, "links", "current"), join(dir, "etc", "gateway.yaml"));
    start(join(dir, "etc", "gateway.yaml"), { pollMs: 50 });

    await symlink(join(dir, "v2", "gateway.yaml"), join(dir, "links", "next"));
    await rename(join(dir, "links", "next"), join(dir, "links", "current"));
    await reloaded("v2");
    expect(names()).toEqual(["v2"]);
  });
});
