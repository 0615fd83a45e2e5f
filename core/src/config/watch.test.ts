import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigWatcher } from "./watch";
import type { GatewayConfig } from "./schema";

const config = (name: string): string =>
  `version: 1\nauth: none\nservers:\n  - { name: ${name}, url: "http://127.0.0.1:1/mcp" }\n`;

describe("ConfigWatcher", () => {
  let dir: string;
  let watcher: ConfigWatcher | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "cfg-"));
  });
  afterEach(async () => {
    watcher?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("reloads a good change and keeps the last good config on a bad one", async () => {
    const path = join(dir, "gateway.yaml");
    await writeFile(path, config("first"));
    const reloads: GatewayConfig[] = [];
    const errors: unknown[] = [];
    const next = (): Promise<void> =>
      new Promise((resolve) => {
        const before = reloads.length + errors.length;
        const poll = setInterval(() => {
          if (reloads.length + errors.length > before) {
            clearInterval(poll);
            resolve();
          }
        }, 10);
      });
    watcher = new ConfigWatcher(path, {
      env: {},
      debounceMs: 20,
      onReload: (c) => reloads.push(c),
      onError: (e) => errors.push(e),
    });
    watcher.start();

    let changed = next();
    await writeFile(path, config("second"));
    await changed;
    expect(reloads.map((c) => c.servers[0]?.name)).toEqual(["second"]);

    changed = next();
    await writeFile(path, "version: 1\nauth: none\nservers: []\n");
    await changed;
    expect(String(errors[0])).toContain("servers: expected at least one server");
    expect(reloads).toHaveLength(1);
  });
});
