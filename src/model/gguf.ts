/**
 * GGUF (llama.cpp, spec: ggml/docs/gguf.md), versions 2 and 3, parsed by hand from any ByteSource.
 * (@huggingface/gguf only reads URLs through HTTP Range requests and throws untyped errors, so it does
 * not fit a local Blob/ArrayBuffer or our error contract; the tests cross-check this parser against it.)
 *
 * Layout (little-endian): "GGUF" u32 version, u64 tensor_count, u64 kv_count;
 * kv_count x { string key, u32 value_type, value }; tensor_count x { string name, u32 n_dims,
 * u64 dims[n_dims] (innermost first), u32 ggml_type, u64 offset }; pad to general.alignment (default 32);
 * tensor data, each tensor at data_start + offset. string = u64 length + UTF-8 bytes.
 *
 * Tensors: F32, F16, BF16 as stored; Q8_0 dequantized to f32 on load. llama.cpp's converter permutes HF
 * q/k rows back to Meta's interleaved order, so GGUF Llama models use interleaved RoPE.
 */
import type { ByteSource } from './bytes';
import { validateConfig, type ModelConfig } from './config';
import { Q8_0_BLOCK, type StoredDType } from './dtype';
import { BadFormatError, HeaderLengthError, ModelConfigError, TruncatedFileError, UnknownDtypeError } from './errors';
import { fileWeightSource, yieldedInfo, type FileTensor } from './file-tensors';
import { checkManifest, type WeightSource } from './weights';

export type GgufValue = number | bigint | boolean | string | GgufValue[];

export interface GgufTensorInfo {
  name: string;
  /** Row-major shape, outermost first (the file's dims reversed). */
  shape: number[];
  ggmlType: number;
  /** Absolute file offset. */
  offset: number;
}

export interface GgufHeader {
  version: number;
  metadata: Map<string, GgufValue>;
  tensors: GgufTensorInfo[];
  dataStart: number;
  alignment: number;
}

/** ggml_type ids -> names, for messages; the supported ones map to our dtypes. */
const GGML_TYPE_NAMES: Record<number, string> = {
  0: 'F32', 1: 'F16', 2: 'Q4_0', 3: 'Q4_1', 6: 'Q5_0', 7: 'Q5_1', 8: 'Q8_0', 9: 'Q8_1', 10: 'Q2_K', 11: 'Q3_K',
  12: 'Q4_K', 13: 'Q5_K', 14: 'Q6_K', 15: 'Q8_K', 16: 'IQ2_XXS', 17: 'IQ2_XS', 18: 'IQ3_XXS', 19: 'IQ1_S',
  20: 'IQ4_NL', 21: 'IQ3_S', 22: 'IQ2_S', 23: 'IQ4_XS', 24: 'I8', 25: 'I16', 26: 'I32', 27: 'I64', 28: 'F64',
  29: 'IQ1_M', 30: 'BF16', 34: 'TQ1_0', 35: 'TQ2_0', 39: 'MXFP4',
};
const SUPPORTED: Record<number, StoredDType> = { 0: 'f32', 1: 'f16', 8: 'q8_0', 30: 'bf16' };

/** Bounds that stop crafted headers from allocating or looping without end. */
const LIMITS = { kvCount: 1_000_000, tensorCount: 1_000_000, stringBytes: 64 * 1024 * 1024, arrayLength: 64 * 1024 * 1024, dims: 4, arrayDepth: 4 };

/** A forward-only reader over a ByteSource that fetches the header in chunks. */
class Cursor {
  pos = 0;
  private buf: Uint8Array = new Uint8Array(0);
  private bufStart = 0;
  private readonly utf8 = new TextDecoder('utf-8', { fatal: false });
  constructor(private readonly src: ByteSource) {}

  private async ensure(n: number, what: string): Promise<DataView> {
    const bufEnd = this.bufStart + this.buf.byteLength;
    const have = bufEnd - this.pos;
    if (have < n) {
      const size = this.src.size;
      if (size !== undefined && this.pos + n > size) throw new TruncatedFileError(this.src.name, what, this.pos + n, size);
      // Read forward from the buffer's end (streams cannot go back): 64 KiB ahead where the size is
      // known, exactly what is missing on streams of unknown size. Keep the unread tail.
      const missing = n - have;
      const want = size === undefined ? missing : Math.min(Math.max(missing, 65536), size - bufEnd);
      const more = await this.src.read(bufEnd, want, what);
      const next = new Uint8Array(have + more.byteLength);
      next.set(this.buf.subarray(this.pos - this.bufStart), 0);
      next.set(more, have);
      this.buf = next;
      this.bufStart = this.pos;
    }
    return new DataView(this.buf.buffer, this.buf.byteOffset + (this.pos - this.bufStart), n);
  }
  async u32(what: string): Promise<number> {
    const v = (await this.ensure(4, what)).getUint32(0, true);
    this.pos += 4;
    return v;
  }
  async u64(what: string): Promise<bigint> {
    const v = (await this.ensure(8, what)).getBigUint64(0, true);
    this.pos += 8;
    return v;
  }
  /** A u64 count or size bounded by `limit` (and by the bytes left, each item taking >= minBytes). */
  async count(what: string, limit: number, minBytes = 1): Promise<number> {
    const v = await this.u64(what);
    if (v > BigInt(limit)) throw new HeaderLengthError(this.src.name, what, v, limit);
    const n = Number(v);
    // Each item takes at least minBytes: a count the rest of the file cannot hold means a cut file.
    if (this.src.size !== undefined && this.pos + n * minBytes > this.src.size) {
      throw new TruncatedFileError(this.src.name, `${what} (${n} items of >= ${minBytes} bytes)`, this.pos + n * minBytes, this.src.size);
    }
    return n;
  }
  async string(what: string): Promise<string> {
    const n = await this.count(`${what} (string length)`, LIMITS.stringBytes);
    const dv = await this.ensure(n, what);
    this.pos += n;
    return this.utf8.decode(new Uint8Array(dv.buffer, dv.byteOffset, n));
  }
  async scalar(type: number, what: string): Promise<GgufValue> {
    const sizes: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
    if (type === 8) return this.string(what);
    const n = sizes[type];
    if (n === undefined) throw new BadFormatError(`${what}: unknown GGUF value type ${type}`, this.src.name);
    const dv = await this.ensure(n, what);
    this.pos += n;
    switch (type) {
      case 0: return dv.getUint8(0);
      case 1: return dv.getInt8(0);
      case 2: return dv.getUint16(0, true);
      case 3: return dv.getInt16(0, true);
      case 4: return dv.getUint32(0, true);
      case 5: return dv.getInt32(0, true);
      case 6: return dv.getFloat32(0, true);
      case 7: return dv.getUint8(0) !== 0;
      case 10: return dv.getBigUint64(0, true);
      case 11: return dv.getBigInt64(0, true);
      default: return dv.getFloat64(0, true);
    }
  }
  async value(type: number, what: string, depth = 0): Promise<GgufValue> {
    if (type !== 9) return this.scalar(type, what);
    if (depth >= LIMITS.arrayDepth) throw new BadFormatError(`${what}: arrays nested deeper than ${LIMITS.arrayDepth}`, this.src.name);
    const elemType = await this.u32(`${what} (array type)`);
    const n = await this.count(`${what} (array length)`, LIMITS.arrayLength);
    // Grown by push: on a stream of unknown size, n is only bounded by LIMITS, not by the bytes there.
    const out: GgufValue[] = [];
    for (let i = 0; i < n; i++) out.push(await this.value(elemType, what, depth + 1));
    return out;
  }
}

const GGUF_MAGIC = 0x46554747; // "GGUF" as a little-endian u32

/** Parses the header: metadata and tensor infos, with every count, dim and offset checked. */
export async function readGgufHeader(src: ByteSource): Promise<GgufHeader> {
  const c = new Cursor(src);
  if ((await c.u32('GGUF magic')) !== GGUF_MAGIC) throw new BadFormatError('not a GGUF file (magic is not "GGUF")', src.name);
  const version = await c.u32('GGUF version');
  if (version !== 2 && version !== 3) throw new BadFormatError(`GGUF version ${version} is not supported (2 and 3 are)`, src.name);
  const tensorCount = await c.count('tensor count', LIMITS.tensorCount, 24);
  const kvCount = await c.count('metadata KV count', LIMITS.kvCount, 12);
  const metadata = new Map<string, GgufValue>();
  for (let i = 0; i < kvCount; i++) {
    const key = await c.string(`metadata key #${i}`);
    const type = await c.u32(`metadata '${key}' type`);
    metadata.set(key, await c.value(type, `metadata '${key}'`));
  }
  const alignRaw = metadata.get('general.alignment') ?? 32;
  const alignment = typeof alignRaw === 'number' ? alignRaw : -1;
  if (!(Number.isInteger(alignment) && alignment > 0 && alignment <= 1 << 20 && (alignment & (alignment - 1)) === 0)) {
    throw new BadFormatError(`general.alignment ${String(alignRaw)} is not a power of two`, src.name);
  }
  const raw: { name: string; shape: number[]; ggmlType: number; rel: bigint }[] = [];
  for (let i = 0; i < tensorCount; i++) {
    const name = await c.string(`tensor #${i} name`);
    const nDims = await c.u32(`tensor '${name}' n_dims`);
    if (nDims < 1 || nDims > LIMITS.dims) throw new BadFormatError(`tensor '${name}': n_dims ${nDims} is outside 1..${LIMITS.dims}`, src.name);
    const dims: number[] = [];
    for (let d = 0; d < nDims; d++) {
      const v = await c.u64(`tensor '${name}' dim ${d}`);
      if (v > 2n ** 32n) throw new HeaderLengthError(src.name, `tensor '${name}' dim ${d}`, v, 2 ** 32);
      dims.push(Number(v));
    }
    const ggmlType = await c.u32(`tensor '${name}' type`);
    const rel = await c.u64(`tensor '${name}' offset`);
    raw.push({ name, shape: dims.reverse(), ggmlType, rel });
  }
  const dataStart = Math.ceil(c.pos / alignment) * alignment;
  const tensors: GgufTensorInfo[] = raw.map((t) => {
    if (t.rel % BigInt(alignment) !== 0n) throw new BadFormatError(`tensor '${t.name}': offset ${t.rel} is not a multiple of the alignment ${alignment}`, src.name);
    const offset = BigInt(dataStart) + t.rel;
    if (offset > BigInt(Number.MAX_SAFE_INTEGER) || (src.size !== undefined && offset > BigInt(src.size))) {
      throw new HeaderLengthError(src.name, `tensor '${t.name}' offset`, t.rel, src.size === undefined ? Number.MAX_SAFE_INTEGER : src.size - dataStart);
    }
    return { name: t.name, shape: t.shape, ggmlType: t.ggmlType, offset: Number(offset) };
  });
  return { version, metadata, tensors, dataStart, alignment };
}

/** Maps llama.cpp tensor names to canonical ones (undefined for names we do not know). */
export function canonicalGgufName(name: string): string | undefined {
  const top: Record<string, string> = { 'token_embd.weight': 'embed', 'output_norm.weight': 'final_norm', 'output.weight': 'lm_head' };
  if (top[name]) return top[name];
  const m = /^blk\.(\d+)\.(\w+)\.weight$/.exec(name);
  const per: Record<string, string> = {
    attn_norm: 'attn_norm', attn_q: 'attn.wq', attn_k: 'attn.wk', attn_v: 'attn.wv', attn_output: 'attn.wo',
    ffn_norm: 'ffn_norm', ffn_gate: 'ffn.w_gate', ffn_up: 'ffn.w_up', ffn_down: 'ffn.w_down',
  };
  if (m && per[m[2]!]) return `layers.${m[1]}.${per[m[2]!]}`;
  return undefined;
}

function num(meta: Map<string, GgufValue>, key: string, file: string, dflt?: number): number {
  const v = meta.get(key);
  if (v === undefined) {
    if (dflt === undefined) throw new ModelConfigError(key, 'is missing from the GGUF metadata', file);
    return dflt;
  }
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint' && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
  throw new ModelConfigError(key, `must be a number, got ${typeof v}`, file);
}

/** Builds the config from `llama.*` metadata; tied when the file has no output.weight. */
export function configFromGguf(h: GgufHeader, file: string): ModelConfig {
  const arch = h.metadata.get('general.architecture');
  if (arch !== 'llama') throw new ModelConfigError('general.architecture', `only 'llama' GGUF models are supported, got ${JSON.stringify(String(arch))}`, file);
  const m = h.metadata;
  const dim = num(m, 'llama.embedding_length', file);
  const numHeads = num(m, 'llama.attention.head_count', file);
  const headDim = num(m, 'llama.attention.key_length', file, numHeads > 0 && dim % numHeads === 0 ? dim / numHeads : NaN);
  const ropeDims = num(m, 'llama.rope.dimension_count', file, headDim);
  if (ropeDims !== headDim) throw new ModelConfigError('llama.rope.dimension_count', `partial RoPE (${ropeDims} of ${headDim} head dims) is not supported`, file);
  const tokens = m.get('tokenizer.ggml.tokens');
  const vocab = num(m, 'llama.vocab_size', file, Array.isArray(tokens) ? tokens.length : NaN);
  const eos = num(m, 'tokenizer.ggml.eos_token_id', file, 2);
  const cfg: ModelConfig = {
    dim,
    hiddenDim: num(m, 'llama.feed_forward_length', file),
    numLayers: num(m, 'llama.block_count', file),
    numHeads,
    numKvHeads: num(m, 'llama.attention.head_count_kv', file, numHeads),
    headDim,
    vocabSize: vocab,
    maxSeqLen: num(m, 'llama.context_length', file, 2048),
    // GGUF stores eps as f32 (1e-5 reads 9.99999974e-6); snap to the nearest short decimal it came from.
    rmsNormEps: Number(num(m, 'llama.attention.layer_norm_rms_epsilon', file, 1e-5).toPrecision(6)),
    ropeTheta: num(m, 'llama.rope.freq_base', file, 10000),
    ropeConvention: 'interleaved',
    tiedEmbeddings: !h.tensors.some((t) => t.name === 'output.weight'),
    bosId: num(m, 'tokenizer.ggml.bos_token_id', file, 1),
    eosIds: [eos],
  };
  const name = m.get('general.name');
  if (typeof name === 'string') cfg.name = name;
  return validateConfig(cfg, file);
}

/** Opens a GGUF Llama model: header, config from metadata, tensor layout checked against the config. */
export async function openGguf(src: ByteSource): Promise<WeightSource & { header: GgufHeader }> {
  const header = await readGgufHeader(src);
  const config = configFromGguf(header, src.name);
  const entries: FileTensor[] = [];
  const seen = new Set<string>();
  for (const t of header.tensors) {
    const canon = canonicalGgufName(t.name);
    if (!canon) throw new BadFormatError(`tensor '${t.name}' is not part of a Llama model this loader understands`, src.name);
    if (seen.has(canon)) throw new BadFormatError(`tensor '${t.name}' appears twice`, src.name);
    seen.add(canon);
    const dtype = SUPPORTED[t.ggmlType];
    if (!dtype) throw new UnknownDtypeError(src.name, t.name, GGML_TYPE_NAMES[t.ggmlType] ?? `ggml type ${t.ggmlType}`);
    if (dtype === 'q8_0' && t.shape[t.shape.length - 1]! % Q8_0_BLOCK !== 0) {
      throw new BadFormatError(`tensor '${t.name}': Q8_0 needs the innermost dim to be a multiple of ${Q8_0_BLOCK}, got ${t.shape[t.shape.length - 1]}`, src.name);
    }
    const { info, storedBytes } = yieldedInfo(canon, t.name, dtype, t.shape);
    if (src.size !== undefined && t.offset + storedBytes > src.size) throw new TruncatedFileError(src.name, `tensor '${t.name}'`, t.offset + storedBytes, src.size);
    entries.push({ info, offset: t.offset, storedBytes });
  }
  checkManifest(config, entries.map((e) => e.info), src.name);
  const metadata: Record<string, unknown> = {};
  for (const [k, v] of header.metadata) if (!k.startsWith('tokenizer.ggml.')) metadata[k] = v;
  return { ...fileWeightSource('gguf', src, config, entries, metadata), header };
}
