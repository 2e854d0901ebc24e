/**
 * Byte sources: one interface over a File/Blob, an ArrayBuffer, and an HTTP response stream, so every
 * weight parser reads the same way and no source is ever copied whole.
 *
 * Parsers read in nondecreasing offset order (headers first, then tensors sorted by offset), which lets
 * an HTTP body be consumed as a stream: what has been handed out is forgotten, so at most one tensor is
 * buffered at a time. Blob and ArrayBuffer sources also allow random access.
 */
import { BadFormatError, HeaderLengthError, ModelFetchError, TruncatedFileError } from './errors';

export interface ByteSource {
  /** File name or URL, used in error messages. */
  readonly name: string;
  /** Total bytes when known (Blob, ArrayBuffer, HTTP Content-Length), else undefined. */
  readonly size: number | undefined;
  /**
   * Bytes [offset, offset + length). Throws TruncatedFileError when the source ends first; `what` names
   * the structure being read. Streaming sources require offset >= every earlier read's end.
   */
  read(offset: number, length: number, what: string): Promise<Uint8Array>;
}

/** Anything a model file can be given as. A string is a URL. */
export type ByteInput = Blob | ArrayBuffer | ArrayBufferView | URL | string | ByteSource;

/** Never allocate more than this for a single read (header, tensor): 4 GiB - 1, JS's practical limit. */
export const MAX_READ = 2 ** 32 - 1;

function checkRange(src: ByteSource, offset: number, length: number, what: string): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || length > MAX_READ) {
    throw new HeaderLengthError(src.name, what, length, MAX_READ);
  }
  if (src.size !== undefined && offset + length > src.size) throw new TruncatedFileError(src.name, what, offset + length, src.size);
}

export class ArrayBufferSource implements ByteSource {
  readonly size: number;
  private readonly bytes: Uint8Array;
  constructor(
    data: ArrayBuffer | ArrayBufferView,
    readonly name = 'buffer',
  ) {
    this.bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.size = this.bytes.byteLength;
  }
  /** A view into the buffer, never a copy. */
  async read(offset: number, length: number, what: string): Promise<Uint8Array> {
    checkRange(this, offset, length, what);
    return this.bytes.subarray(offset, offset + length);
  }
}

export class BlobSource implements ByteSource {
  readonly size: number;
  constructor(
    private readonly blob: Blob,
    readonly name = (blob as File).name || 'blob',
  ) {
    this.size = blob.size;
  }
  async read(offset: number, length: number, what: string): Promise<Uint8Array> {
    checkRange(this, offset, length, what);
    return new Uint8Array(await this.blob.slice(offset, offset + length).arrayBuffer());
  }
}

/** Bytes at the start of a stream kept for re-reading (format sniffing, then the header parse). */
export const STREAM_HEAD_KEEP = 1 << 20;

/**
 * A forward-only source over a ReadableStream (an HTTP body). Skipped bytes are dropped; a read copies
 * exactly the bytes it returns. The first STREAM_HEAD_KEEP bytes stay readable at any time (sniffing
 * reads the magic, then the parser starts again at 0). `onBytes` reports download progress.
 */
export class StreamSource implements ByteSource {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  /** File offset of pending[0][0]. */
  private position = 0;
  private done = false;
  private received = 0;
  private readonly head = new Uint8Array(STREAM_HEAD_KEEP);
  constructor(
    stream: ReadableStream<Uint8Array>,
    readonly name: string,
    readonly size: number | undefined,
    private readonly onBytes?: (received: number) => void,
  ) {
    this.reader = stream.getReader();
  }

  private async pull(): Promise<boolean> {
    if (this.done) return false;
    const { value, done } = await this.reader.read();
    if (done || !value) {
      this.done = true;
      return false;
    }
    if (this.received < STREAM_HEAD_KEEP) this.head.set(value.subarray(0, STREAM_HEAD_KEEP - this.received), this.received);
    this.pending.push(value);
    this.pendingBytes += value.byteLength;
    this.received += value.byteLength;
    this.onBytes?.(this.received);
    return true;
  }

  /** Drops `n` buffered bytes from the front. */
  private drop(n: number): void {
    while (n > 0) {
      const head = this.pending[0]!;
      if (head.byteLength <= n) {
        this.pending.shift();
        n -= head.byteLength;
        this.pendingBytes -= head.byteLength;
        this.position += head.byteLength;
      } else {
        this.pending[0] = head.subarray(n);
        this.pendingBytes -= n;
        this.position += n;
        n = 0;
      }
    }
  }

  async read(offset: number, length: number, what: string): Promise<Uint8Array> {
    checkRange(this, offset, length, what);
    if (offset + length <= STREAM_HEAD_KEEP) {
      while (this.received < offset + length) {
        if (!(await this.pull())) throw new TruncatedFileError(this.name, what, offset + length, this.received);
      }
      return this.head.slice(offset, offset + length);
    }
    if (offset < this.position) throw new BadFormatError(`${what}: a streamed source cannot go back to offset ${offset} (at ${this.position})`, this.name);
    // Skip to `offset`, then buffer `length` bytes.
    while (this.position < offset) {
      if (this.pendingBytes === 0 && !(await this.pull())) throw new TruncatedFileError(this.name, what, offset + length, this.position);
      this.drop(Math.min(this.pendingBytes, offset - this.position));
    }
    while (this.pendingBytes < length) {
      if (!(await this.pull())) throw new TruncatedFileError(this.name, what, offset + length, this.position + this.pendingBytes);
    }
    const out = new Uint8Array(length);
    let filled = 0;
    for (const chunk of this.pending) {
      if (filled === length) break;
      const take = Math.min(chunk.byteLength, length - filled);
      out.set(chunk.subarray(0, take), filled);
      filled += take;
    }
    this.drop(length);
    return out;
  }

  cancel(): void {
    void this.reader.cancel().catch(() => undefined);
  }
}

export interface FetchOptions {
  fetch?: typeof fetch;
  signal?: AbortSignal;
  /** Bytes received so far and the total when the server says. */
  onDownload?: (received: number, total: number | undefined) => void;
}

/** Opens a URL as a streaming source (no Range requests needed: parsers read forward). */
export async function openUrl(url: string | URL, opts: FetchOptions = {}): Promise<StreamSource> {
  const name = String(url);
  let res: Response;
  try {
    res = await (opts.fetch ?? fetch)(url, opts.signal ? { signal: opts.signal } : {});
  } catch (e) {
    throw new ModelFetchError(`fetch failed: ${(e as Error).message}`, name);
  }
  if (!res.ok) throw new ModelFetchError(`HTTP ${res.status} ${res.statusText}`, name);
  if (!res.body) throw new ModelFetchError('response has no body', name);
  // Content-Length is the compressed size when the server compresses; then the size is unknown.
  const len = res.headers.get('content-length');
  const size = len !== null && !res.headers.get('content-encoding') ? Number(len) : undefined;
  const total = size !== undefined && Number.isSafeInteger(size) ? size : undefined;
  return new StreamSource(res.body, name, total, opts.onDownload ? (r) => opts.onDownload!(r, total) : undefined);
}

/** Wraps any input as a ByteSource (URLs are opened with fetch). */
export async function toByteSource(input: ByteInput, name?: string, opts: FetchOptions = {}): Promise<ByteSource> {
  if (typeof input === 'string' || input instanceof URL) return openUrl(input, opts);
  if (input instanceof ArrayBuffer || ArrayBuffer.isView(input)) return new ArrayBufferSource(input, name);
  if (typeof Blob !== 'undefined' && input instanceof Blob) return new BlobSource(input, name);
  return input as ByteSource;
}

/** Reads the whole source (small files only: config.json, tokenizers). */
export async function readAll(src: ByteSource, what: string, limit = 256 * 1024 * 1024): Promise<Uint8Array> {
  if (src.size !== undefined) {
    if (src.size > limit) throw new HeaderLengthError(src.name, what, src.size, limit);
    return src.read(0, src.size, what);
  }
  // Unknown size: read in chunks until the stream ends.
  const parts: Uint8Array[] = [];
  let total = 0;
  const step = 1 << 16;
  for (;;) {
    try {
      parts.push(await src.read(total, step, what));
      total += step;
    } catch (e) {
      if (!(e instanceof TruncatedFileError)) throw e;
      const rest = e.size - total;
      if (rest > 0) parts.push(await src.read(total, rest, what).catch(() => new Uint8Array(0)));
      break;
    }
    if (total > limit) throw new HeaderLengthError(src.name, what, total, limit);
  }
  const out = new Uint8Array(parts.reduce((a, p) => a + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}

/** Reads and parses a JSON file; bad JSON is a BadFormatError naming the file. */
export async function readJson(src: ByteSource, what: string): Promise<unknown> {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(await readAll(src, what));
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new BadFormatError(`${what} is not valid JSON: ${(e as Error).message}`, src.name);
  }
}
