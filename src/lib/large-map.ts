/**
 * A Map for more entries than one V8 Map can hold: a Map's table tops out at 2^24 entries
 * (16.7 million), and a national full relink interns one whole key per record, so past about 25
 * million records one Map throws. Entries are spread over shards by a cheap hash of the key.
 */
const SHARDS = 64;

function shardOf(key: string | number): number {
  if (typeof key === 'number') return Math.abs(Math.trunc(key) % SHARDS);
  // First and last characters: tokens are base64url digests, so both are evenly spread.
  return key.length === 0 ? 0 : (key.charCodeAt(0) * 31 + key.charCodeAt(key.length - 1)) % SHARDS;
}

export class LargeMap<K extends string | number, V> {
  private readonly shards = Array.from({ length: SHARDS }, () => new Map<K, V>());
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(key: K): V | undefined {
    return this.shards[shardOf(key)]!.get(key);
  }

  set(key: K, value: V): this {
    const shard = this.shards[shardOf(key)]!;
    const before = shard.size;
    shard.set(key, value);
    this.count += shard.size - before;
    return this;
  }
}
