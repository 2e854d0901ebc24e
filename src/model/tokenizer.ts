/**
 * The tokenizer interface the engine uses, whatever the file format, and streaming decoders that emit
 * text token by token without ever splitting a multi-byte UTF-8 character.
 */

export interface EncodeOptions {
  /** Prepend BOS (default true, as llama2.c and Llama tokenizers do). */
  bos?: boolean;
}

export interface Tokenizer {
  readonly kind: 'llama2c' | 'hf';
  readonly vocabSize: number;
  readonly bosId: number;
  readonly eosId: number;
  encode(text: string, opts?: EncodeOptions): number[];
  /** Whole-sequence decode, special tokens skipped. */
  decode(ids: readonly number[]): string;
  /**
   * A decoder that turns ids into text as they arrive. `context` is what came before (the prompt), so the
   * first generated token's leading space is kept or dropped exactly as a whole-sequence decode would.
   */
  streamDecoder(context?: readonly number[]): StreamDecoder;
  /** The piece for display (e.g. in token views); not for building text. */
  tokenText(id: number): string;
}

export interface StreamDecoder {
  /** Feeds one id; returns the text that is now complete (may be '' while a character is partial). */
  push(id: number): string;
  /** Ends the stream; returns what was held back (an incomplete character decodes as U+FFFD). */
  flush(): string;
}

/**
 * Streaming over a byte-level decode: each token yields bytes; a streaming TextDecoder holds back the
 * bytes of an unfinished character until the rest arrive.
 */
export class ByteStreamDecoder implements StreamDecoder {
  private readonly utf8 = new TextDecoder('utf-8');
  private prev: number;
  constructor(
    private readonly bytesOf: (id: number, prev: number) => Uint8Array,
    lastContextId = -1,
  ) {
    this.prev = lastContextId;
  }
  push(id: number): string {
    const bytes = this.bytesOf(id, this.prev);
    this.prev = id;
    return this.utf8.decode(bytes, { stream: true });
  }
  flush(): string {
    return this.utf8.decode();
  }
}

/**
 * Streaming over any whole-sequence decoder (text-generation-inference's prefix/read offsets): decode a
 * short window before and after the new token and emit the difference, unless the window ends in an
 * unfinished character (U+FFFD), in which case wait. Works for byte-fallback and byte-level BPE alike.
 */
export class WindowStreamDecoder implements StreamDecoder {
  private ids: number[];
  private prefixOffset: number;
  private readOffset: number;
  constructor(
    private readonly decodeIds: (ids: number[]) => string,
    context: readonly number[] = [],
    /** Tokens of context kept in the window: enough for any leading-space or merge rule to see. */
    private readonly window = 6,
  ) {
    this.ids = context.slice(-window);
    this.prefixOffset = 0;
    this.readOffset = this.ids.length;
  }
  push(id: number): string {
    this.ids.push(id);
    const prefix = this.decodeIds(this.ids.slice(this.prefixOffset, this.readOffset));
    const full = this.decodeIds(this.ids.slice(this.prefixOffset));
    if (full.length > prefix.length && !full.endsWith('\uFFFD')) {
      const out = full.slice(prefix.length);
      this.prefixOffset = this.readOffset;
      this.readOffset = this.ids.length;
      // Keep the id list short: only the window from prefixOffset on matters.
      if (this.prefixOffset > 4 * this.window) {
        this.ids = this.ids.slice(this.prefixOffset);
        this.readOffset -= this.prefixOffset;
        this.prefixOffset = 0;
      }
      return out;
    }
    return '';
  }
  flush(): string {
    const prefix = this.decodeIds(this.ids.slice(this.prefixOffset, this.readOffset));
    const full = this.decodeIds(this.ids.slice(this.prefixOffset));
    this.prefixOffset = this.readOffset = this.ids.length;
    return full.length > prefix.length ? full.slice(prefix.length) : '';
  }
}
