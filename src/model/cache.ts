/**
 * Downloaded model files cached in IndexedDB (through idb-keyval), keyed by source and content hash:
 *   `src:<source>`  -> CacheEntry { source, sha256, size, storedAt }   (what the user fetched, by URL)
 *   `blob:<sha256>` -> Blob                                            (the bytes, stored once per content)
 * Two sources with the same bytes share one blob; evicting a source deletes its blob when no other
 * source refers to it. Downloads are hashed chunk by chunk as they arrive (incremental SHA-256), and the
 * cached file is handed back as a Blob, which the loaders read slice by slice.
 *
 * The store is an interface so Node tests can use an in-memory map; the browser uses IndexedDB.
 */
import { createStore, del, get, keys, set } from 'idb-keyval';
import { openUrl, type FetchOptions } from './bytes';
import { ModelFetchError } from './errors';
import { Sha256 } from './sha256';

export interface KeyValueStore {
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown): Promise<void>;
  del(key: string): Promise<void>;
  keys(): Promise<string[]>;
}

/** IndexedDB through idb-keyval (browser only). */
export function idbStore(dbName = 'serving-playground', storeName = 'model-files'): KeyValueStore {
  const store = createStore(dbName, storeName);
  return {
    get: <T>(k: string) => get<T>(k, store),
    set: (k, v) => set(k, v, store),
    del: (k) => del(k, store),
    keys: async () => (await keys(store)).map(String),
  };
}

/** In-memory store with the same behaviour (Node tests, or where IndexedDB is unavailable). */
export class MemoryStore implements KeyValueStore {
  readonly map = new Map<string, unknown>();
  async get<T>(k: string): Promise<T | undefined> {
    return this.map.get(k) as T | undefined;
  }
  async set(k: string, v: unknown): Promise<void> {
    this.map.set(k, v);
  }
  async del(k: string): Promise<void> {
    this.map.delete(k);
  }
  async keys(): Promise<string[]> {
    return [...this.map.keys()];
  }
}

export interface CacheEntry {
  /** Where the file came from (URL, or a name the caller chose). */
  source: string;
  /** Lowercase hex SHA-256 of the content. */
  sha256: string;
  size: number;
  /** Date.now() when stored. */
  storedAt: number;
}

export interface CachedFile {
  entry: CacheEntry;
  blob: Blob;
  fromCache: boolean;
}

const SRC = 'src:';
const BLOB = 'blob:';

export class ModelCache {
  constructor(private readonly store: KeyValueStore = idbStore()) {}

  /** The cached file for `source`, or undefined. */
  async get(source: string): Promise<CachedFile | undefined> {
    const entry = await this.store.get<CacheEntry>(SRC + source);
    if (!entry) return undefined;
    const blob = await this.store.get<Blob>(BLOB + entry.sha256);
    if (!blob) {
      await this.store.del(SRC + source); // dangling entry (blob evicted by the browser): forget it
      return undefined;
    }
    return { entry, blob, fromCache: true };
  }

  /** Stores bytes under `source`, hashing them chunk by chunk. */
  async put(source: string, data: Blob | Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<CachedFile> {
    const hash = new Sha256();
    const chunks: Uint8Array[] = [];
    let size = 0;
    const take = (c: Uint8Array) => {
      hash.update(c);
      chunks.push(c);
      size += c.byteLength;
    };
    if (data instanceof Uint8Array) take(data);
    else if (typeof Blob !== 'undefined' && data instanceof Blob) {
      const step = 8 << 20;
      for (let o = 0; o < data.size; o += step) take(new Uint8Array(await data.slice(o, o + step).arrayBuffer()));
    } else {
      for await (const c of data as AsyncIterable<Uint8Array>) take(c);
    }
    const blob = data instanceof Blob ? data : new Blob(chunks as BlobPart[]);
    chunks.length = 0;
    const entry: CacheEntry = { source, sha256: hash.hex(), size, storedAt: Date.now() };
    if (!(await this.store.get<Blob>(BLOB + entry.sha256))) await this.store.set(BLOB + entry.sha256, blob);
    const old = await this.store.get<CacheEntry>(SRC + source);
    await this.store.set(SRC + source, entry);
    if (old && old.sha256 !== entry.sha256) await this.dropBlobIfUnused(old.sha256);
    return { entry, blob, fromCache: false };
  }

  /** The file at `url`: from the cache when present, else downloaded (with progress), stored and returned. */
  async fetch(url: string | URL, opts: FetchOptions = {}): Promise<CachedFile> {
    const source = String(url);
    const hit = await this.get(source);
    if (hit) return hit;
    const stream = await openUrl(url, opts);
    const size = stream.size;
    async function* chunks(): AsyncGenerator<Uint8Array> {
      const step = 1 << 20;
      let o = 0;
      for (;;) {
        const n = size === undefined ? step : Math.min(step, size - o);
        if (n <= 0) return;
        try {
          yield await stream.read(o, n, 'download');
        } catch (e) {
          // Unknown size: the stream ended inside this chunk; take the rest.
          if (size === undefined && e instanceof Error && e.name === 'TruncatedFileError') {
            const got = (e as unknown as { size: number }).size - o;
            if (got > 0) yield await stream.read(o, got, 'download');
            return;
          }
          throw e;
        }
        o += n;
      }
    }
    try {
      return await this.put(source, chunks());
    } catch (e) {
      if (e instanceof Error && e.name === 'TruncatedFileError') throw new ModelFetchError(`download ended early: ${e.message}`, source);
      throw e;
    }
  }

  /** Every cached file, newest first. */
  async list(): Promise<CacheEntry[]> {
    const out: CacheEntry[] = [];
    for (const k of await this.store.keys()) {
      if (!k.startsWith(SRC)) continue;
      const e = await this.store.get<CacheEntry>(k);
      if (e) out.push(e);
    }
    return out.sort((a, b) => b.storedAt - a.storedAt);
  }

  /** Bytes stored (each distinct content counted once). */
  async totalBytes(): Promise<number> {
    const seen = new Map<string, number>();
    for (const e of await this.list()) seen.set(e.sha256, e.size);
    return [...seen.values()].reduce((a, b) => a + b, 0);
  }

  /** Forgets `source`; deletes its bytes when no other source shares them. Returns whether it was cached. */
  async evict(source: string): Promise<boolean> {
    const e = await this.store.get<CacheEntry>(SRC + source);
    if (!e) return false;
    await this.store.del(SRC + source);
    await this.dropBlobIfUnused(e.sha256);
    return true;
  }

  /** Evicts everything. */
  async clear(): Promise<void> {
    for (const k of await this.store.keys()) if (k.startsWith(SRC) || k.startsWith(BLOB)) await this.store.del(k);
  }

  private async dropBlobIfUnused(sha: string): Promise<void> {
    const stillUsed = (await this.list()).some((x) => x.sha256 === sha);
    if (!stillUsed) await this.store.del(BLOB + sha);
  }
}
