// Files whose change reloads the configuration: the config file or Corefile, and the hosts files
// it names. Polled (fs.watchFile) rather than watched with inotify, because a Kubernetes ConfigMap
// volume swaps a symlink and an editor renames over the file: both end an inotify watch.
import { unwatchFile, watchFile, type Stats } from 'node:fs';

export class FileWatcher {
  private readonly listeners = new Map<string, (current: Stats, previous: Stats) => void>();

  constructor(
    private readonly intervalMs: number,
    private readonly onChange: (path: string) => void,
  ) {}

  /** Watch exactly these paths from now on. */
  set(paths: Iterable<string>): void {
    const wanted = new Set(paths);
    for (const path of this.listeners.keys()) if (!wanted.has(path)) this.unwatch(path);
    for (const path of wanted) {
      if (this.listeners.has(path)) continue;
      const listener = (current: Stats, previous: Stats) => {
        if (current.mtimeMs !== previous.mtimeMs || current.size !== previous.size) this.onChange(path);
      };
      this.listeners.set(path, listener);
      watchFile(path, { interval: this.intervalMs, persistent: false }, listener);
    }
  }

  close(): void {
    for (const path of [...this.listeners.keys()]) this.unwatch(path);
  }

  private unwatch(path: string): void {
    unwatchFile(path, this.listeners.get(path));
    this.listeners.delete(path);
  }
}
