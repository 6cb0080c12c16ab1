/**
 * A few values by key, each made on first use, dropped once no one has used it for `idleMs`, and
 * the least recently used dropped when a new key would pass `maxEntries`. A waiting drop does not
 * keep the process or thread alive.
 */
export class IdleCache<V> {
  readonly #entries = new Map<string, { value: V; timer: NodeJS.Timeout }>();

  constructor(
    private readonly make: () => V,
    private readonly options: { idleMs: number; maxEntries: number },
  ) {}

  /** The key's value, made if it has none; its idle time starts again. */
  get(key: string): V {
    const found = this.#entries.get(key);
    if (found) {
      found.timer.refresh();
      // Most recent last, so the first is the one to drop.
      this.#entries.delete(key);
      this.#entries.set(key, found);
      return found.value;
    }
    if (this.#entries.size >= this.options.maxEntries) {
      const [oldest, entry] = this.#entries.entries().next().value!;
      clearTimeout(entry.timer);
      this.#entries.delete(oldest);
    }
    const timer = setTimeout(() => this.#entries.delete(key), this.options.idleMs);
    timer.unref();
    const value = this.make();
    this.#entries.set(key, { value, timer });
    return value;
  }

  /** Starts the key's idle time again (after a long use: idle from its end, not its start). */
  touch(key: string): void {
    this.#entries.get(key)?.timer.refresh();
  }

  has(key: string): boolean {
    return this.#entries.has(key);
  }
}
