/**
 * The llama2.c tokenizer (tokenizer.bin / tok512.bin), encoding exactly as run.c's `encode()`:
 * BOS, then the SentencePiece dummy prefix " " (only for non-empty text), then one id per UTF-8 code
 * point (byte fallback: one `<0xNN>` id per byte when the code point is not a piece), then repeatedly
 * merge the adjacent pair whose concatenation is the piece with the highest score (leftmost on ties)
 * until no pair merges. Also built from GGUF `tokenizer.ggml.*` metadata (same algorithm; U+2581 -> ' ').
 *
 * File: int32 max_token_length, then vocab_size x { f32 score, int32 len, len bytes } (the count comes
 * from the model header).
 */
import { TruncatedFileError, TokenizerError } from './errors';
import { ByteStreamDecoder, type EncodeOptions, type StreamDecoder, type Tokenizer } from './tokenizer';

const latin1 = (b: Uint8Array): string => {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
};

export interface Llama2cVocab {
  pieces: Uint8Array[];
  scores: Float32Array | number[];
  bosId: number;
  eosId: number;
  /** Ids that are never produced by merges nor printed (control tokens). */
  special?: number[];
  /** Prepend the " " dummy prefix (SentencePiece add_dummy_prefix); default true. */
  addDummyPrefix?: boolean;
}

export class Llama2cTokenizer implements Tokenizer {
  readonly kind = 'llama2c' as const;
  readonly vocabSize: number;
  readonly bosId: number;
  readonly eosId: number;
  private readonly pieces: Uint8Array[];
  private readonly scores: ArrayLike<number>;
  /** piece bytes (as a latin1 string) -> id; the first id wins for duplicate pieces. */
  private readonly lookup = new Map<string, number>();
  /** byte -> id of its `<0xNN>` piece. */
  private readonly byteIds = new Int32Array(256).fill(-1);
  /** id -> raw byte for `<0xNN>` pieces, else -1. */
  private readonly idByte: Int16Array;
  private readonly special: Set<number>;
  private readonly addDummyPrefix: boolean;

  constructor(v: Llama2cVocab) {
    this.pieces = v.pieces;
    this.scores = v.scores;
    this.vocabSize = v.pieces.length;
    this.bosId = v.bosId;
    this.eosId = v.eosId;
    this.special = new Set(v.special ?? [v.bosId, v.eosId]);
    this.addDummyPrefix = v.addDummyPrefix ?? true;
    this.idByte = new Int16Array(this.vocabSize).fill(-1);
    v.pieces.forEach((p, id) => {
      const key = latin1(p);
      if (!this.lookup.has(key) && !(v.special && this.special.has(id))) this.lookup.set(key, id);
      const m = /^<0x([0-9A-Fa-f]{2})>$/.exec(key);
      if (m) {
        const b = parseInt(m[1]!, 16);
        this.idByte[id] = b;
        if (this.byteIds[b] === -1) this.byteIds[b] = id;
      }
    });
  }

  /** Parses tokenizer.bin given the vocabulary size from the model header. */
  static fromBytes(bytes: Uint8Array, vocabSize: number, file = 'tokenizer.bin'): Llama2cTokenizer {
    if (!Number.isInteger(vocabSize) || vocabSize <= 0) throw new TokenizerError(`vocab size ${vocabSize} is not a positive integer`, file);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (bytes.byteLength < 4) throw new TruncatedFileError(file, 'max_token_length', 4, bytes.byteLength);
    const maxLen = dv.getInt32(0, true);
    if (maxLen <= 0 || maxLen > 65536) throw new TokenizerError(`max_token_length ${maxLen} is not in 1..65536`, file);
    let o = 4;
    const pieces: Uint8Array[] = [];
    const scores = new Float32Array(vocabSize);
    for (let i = 0; i < vocabSize; i++) {
      if (o + 8 > bytes.byteLength) throw new TruncatedFileError(file, `token ${i} record (the model has ${vocabSize} tokens)`, o + 8, bytes.byteLength);
      scores[i] = dv.getFloat32(o, true);
      const len = dv.getInt32(o + 4, true);
      o += 8;
      if (len < 0 || len > maxLen) throw new TokenizerError(`token ${i} has length ${len}, outside 0..max_token_length (${maxLen})`, file);
      if (o + len > bytes.byteLength) throw new TruncatedFileError(file, `token ${i} bytes`, o + len, bytes.byteLength);
      pieces.push(bytes.slice(o, o + len));
      o += len;
    }
    if (o !== bytes.byteLength) throw new TokenizerError(`${bytes.byteLength - o} bytes follow the ${vocabSize} tokens: the tokenizer does not match the model's vocabulary size`, file);
    return new Llama2cTokenizer({ pieces, scores, bosId: 1, eosId: 2 });
  }

  /** From GGUF `tokenizer.ggml.*` (SentencePiece 'llama' model): U+2581 becomes a space, as in tokenizer.bin. */
  static fromGguf(meta: Map<string, unknown>, file = 'model.gguf'): Llama2cTokenizer {
    const model = meta.get('tokenizer.ggml.model');
    if (model !== 'llama') throw new TokenizerError(`GGUF tokenizer model ${JSON.stringify(model)} is not supported (only SentencePiece 'llama')`, file);
    const tokens = meta.get('tokenizer.ggml.tokens');
    const scores = meta.get('tokenizer.ggml.scores');
    const types = meta.get('tokenizer.ggml.token_type');
    if (!Array.isArray(tokens) || !tokens.every((t) => typeof t === 'string')) throw new TokenizerError('tokenizer.ggml.tokens is missing or not a list of strings', file);
    if (!Array.isArray(scores) || scores.length !== tokens.length) throw new TokenizerError('tokenizer.ggml.scores is missing or has the wrong length', file);
    const enc = new TextEncoder();
    const pieces = (tokens as string[]).map((t) => enc.encode(t.replaceAll('\u2581', ' ')));
    const special: number[] = [];
    if (Array.isArray(types)) types.forEach((t, i) => (t === 3 || t === 2 ? special.push(i) : undefined));
    const id = (k: string, d: number) => (typeof meta.get(k) === 'number' ? (meta.get(k) as number) : d);
    return new Llama2cTokenizer({
      pieces,
      scores: (scores as unknown[]).map(Number),
      bosId: id('tokenizer.ggml.bos_token_id', 1),
      eosId: id('tokenizer.ggml.eos_token_id', 2),
      special,
      addDummyPrefix: meta.get('tokenizer.ggml.add_space_prefix') !== false,
    });
  }

  encode(text: string, opts: EncodeOptions = {}): number[] {
    const bytes = new TextEncoder().encode(text);
    const ids: number[] = [];
    if (opts.bos ?? true) ids.push(this.bosId);
    if (bytes.length > 0 && this.addDummyPrefix) {
      const sp = this.lookup.get(' ');
      if (sp !== undefined) ids.push(sp);
    }
    // One id per code point, or one per byte when the code point is not a piece.
    for (let i = 0; i < bytes.length; ) {
      let j = i + 1;
      while (j < bytes.length && j - i < 4 && (bytes[j]! & 0xc0) === 0x80) j++;
      const id = this.lookup.get(latin1(bytes.subarray(i, j)));
      if (id !== undefined) ids.push(id);
      else for (let k = i; k < j; k++) ids.push(this.byteIds[bytes[k]!]! >= 0 ? this.byteIds[bytes[k]!]! : bytes[k]! + 3);
      i = j;
    }
    // Merge the best-scoring adjacent pair until none merges.
    const strs = ids.map((id) => latin1(this.pieces[id] ?? new Uint8Array(0)));
    for (;;) {
      let best = -Infinity;
      let bestIdx = -1;
      let bestId = -1;
      for (let i = 0; i + 1 < ids.length; i++) {
        if (i === 0 && (opts.bos ?? true)) continue; // BOS never merges (run.c merges "\n<s>\n" only with pieces that do not exist)
        const id = this.lookup.get(strs[i]! + strs[i + 1]!);
        if (id !== undefined && this.scores[id]! > best) {
          best = this.scores[id]!;
          bestIdx = i;
          bestId = id;
        }
      }
      if (bestIdx < 0) break;
      ids.splice(bestIdx, 2, bestId);
      strs.splice(bestIdx, 2, strs[bestIdx]! + strs[bestIdx + 1]!);
    }
    return ids;
  }

  /** Bytes run.c prints for `id` after `prev`: no leading space after BOS; `<0xNN>` is the raw byte. */
  bytesOf(id: number, prev: number): Uint8Array {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) throw new TokenizerError(`token id ${id} is outside the vocabulary [0, ${this.vocabSize})`);
    if (this.special.has(id)) return new Uint8Array(0);
    const b = this.idByte[id]!;
    if (b >= 0) {
      // run.c skips single bytes that are neither printable nor whitespace; we keep bytes >= 0x80 (UTF-8).
      const printable = (b >= 0x20 && b < 0x7f) || b >= 0x80 || b === 0x09 || b === 0x0a || b === 0x0b || b === 0x0c || b === 0x0d;
      return printable ? Uint8Array.of(b) : new Uint8Array(0);
    }
    const p = this.pieces[id]!;
    return prev === this.bosId && p[0] === 0x20 ? p.subarray(1) : p;
  }

  decode(ids: readonly number[]): string {
    const d = this.streamDecoder();
    return ids.map((id) => d.push(id)).join('') + d.flush();
  }

  streamDecoder(context: readonly number[] = []): StreamDecoder {
    return new ByteStreamDecoder((id, prev) => this.bytesOf(id, prev), context.length ? context[context.length - 1]! : -1);
  }

  tokenText(id: number): string {
    return new TextDecoder().decode(this.pieces[id] ?? new Uint8Array(0));
  }
}
