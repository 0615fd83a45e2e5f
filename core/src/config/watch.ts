import { watch, type FSWatcher } from "node:fs";
import { basename, dirname } from "node:path";
import { loadConfigFile } from "./load";
import type { GatewayConfig } from "./schema";

/** Callbacks of a {@link ConfigWatcher}. */
export interface ConfigWatcherOptions {
  env: Readonly<Record<string, string | undefined>>;
  onReload(config: GatewayConfig): void;
  /** A reload failed; the last good config stays in force. */
  onError(error: unknown): void;
  /** Quiet period after the last change before reloading (editors write files in several steps). */
  debounceMs?: number;
}

/**
 * Watches a config file and reloads it on change. A bad reload keeps the last good config and reports why.
 * The directory is watched (not the file) so atomic replace-by-rename, as editors and Kubernetes do, is seen.
 */
export class ConfigWatcher {
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reloading: Promise<void> = Promise.resolve();

  constructor(
    private readonly path: string,
    private readonly options: ConfigWatcherOptions,
  ) {}

  /** Starts watching. */
  start(): void {
    const file = basename(this.path);
    this.watcher = watch(dirname(this.path), (_event, changed) => {
      if (changed === null || changed === file) this.schedule();
    });
  }

  /** Stops watching; a pending reload is dropped. */
  close(): void {
    clearTimeout(this.timer);
    this.watcher?.close();
    this.watcher = undefined;
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.reloading = this.reloading.then(() => this.reload());
    }, this.options.debounceMs ?? 100);
  }

  private async reload(): Promise<void> {
    if (!this.watcher) return;
    try {
      this.options.onReload(await loadConfigFile(this.path, this.options.env));
    } catch (error: unknown) {
      this.options.onError(error);
    }
  }
}
