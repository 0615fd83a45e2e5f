import { createHash } from "node:crypto";
import { readFileSync, realpathSync, watch, type FSWatcher } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { parseConfig } from "./load";
import type { GatewayConfig } from "./schema";

/** Callbacks of a {@link ConfigWatcher}. */
export interface ConfigWatcherOptions {
  env: Readonly<Record<string, string | undefined>>;
  onReload(config: GatewayConfig): void;
  /** A reload failed; the last good config stays in force. */
  onError(error: unknown): void;
  /** Quiet period after the last event before checking (editors and the kubelet change files in several steps). */
  debounceMs?: number;
  /** Interval of the content check that catches what no folder event reports; 0 turns it off. Default 5000. */
  pollMs?: number;
}

/**
 * Watches a config file and reloads it when its content changes. A bad reload keeps the last good config and reports
 * why. Events are only hints: every event in the file's folder or in its resolved target's folder (a Kubernetes
 * ConfigMap swaps a `..data` symlink by rename; editors rename a temp file over it) triggers a debounced re-read,
 * and a SHA-256 of the content decides whether anything changed, so a touch or an identical write does nothing.
 * A periodic check of the same hash covers what folder events miss (symlinks swapped in other folders, network
 * file systems).
 */
export class ConfigWatcher {
  private readonly watchers = new Map<string, FSWatcher>();
  private timer: NodeJS.Timeout | undefined;
  private poller: NodeJS.Timeout | undefined;
  private reloading: Promise<void> = Promise.resolve();
  private lastHash: string | undefined;
  private running = false;

  constructor(
    private readonly path: string,
    private readonly options: ConfigWatcherOptions,
  ) {}

  /** Starts watching; the file's current content is the baseline (the caller has loaded it). */
  start(): void {
    this.running = true;
    try {
      this.lastHash = hashOf(readFileSync(this.path, "utf8"));
    } catch {
      this.lastHash = undefined;
    }
    this.follow();
    const pollMs = this.options.pollMs ?? 5000;
    if (pollMs > 0) this.poller = setInterval(() => this.schedule(), pollMs).unref();
  }

  /** Stops watching; a pending reload is dropped. */
  close(): void {
    this.running = false;
    clearTimeout(this.timer);
    clearInterval(this.poller);
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
  }

  /** Watches the file's folder and its current target's folder; drops folders no longer involved. */
  private follow(): void {
    const dirs = new Set([dirname(resolve(this.path))]);
    try {
      dirs.add(dirname(realpathSync(this.path)));
    } catch {
      // The file is missing right now; its own folder is still watched and the next event re-resolves it.
    }
    for (const [dir, watcher] of this.watchers) {
      if (dirs.has(dir)) continue;
      watcher.close();
      this.watchers.delete(dir);
    }
    for (const dir of dirs) if (!this.watchers.has(dir)) this.watchDir(dir);
  }

  private watchDir(dir: string): void {
    try {
      const watcher = watch(dir, () => this.schedule());
      // A watched target folder is deleted when the kubelet retires an old ConfigMap version.
      watcher.on("error", () => {
        watcher.close();
        if (this.watchers.get(dir) === watcher) this.watchers.delete(dir);
        this.schedule();
      });
      this.watchers.set(dir, watcher);
    } catch {
      // The folder vanished between resolving and watching; the next check re-resolves.
    }
  }

  private schedule(): void {
    if (!this.running) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.reloading = this.reloading.then(() => this.check());
    }, this.options.debounceMs ?? 100);
  }

  private async check(): Promise<void> {
    if (!this.running) return;
    this.follow();
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (error: unknown) {
      this.settle(`unreadable:${errorCode(error)}`, () => this.options.onError(error));
      return;
    }
    this.settle(hashOf(text), () => {
      try {
        this.options.onReload(parseConfig(text, this.options.env, this.path));
      } catch (error: unknown) {
        this.options.onError(error);
      }
    });
  }

  /** Runs `apply` only when the state differs from the last one seen (a bad config is reported once, not per event). */
  private settle(state: string, apply: () => void): void {
    if (!this.running || state === this.lastHash) return;
    this.lastHash = state;
    apply();
  }
}

function hashOf(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function errorCode(error: unknown): string {
  return error instanceof Error && "code" in error ? String(error.code) : "unknown";
}
