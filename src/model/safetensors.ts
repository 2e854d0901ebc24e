/**
 * safetensors (https://github.com/huggingface/safetensors): uint64 LE header length N, N bytes of JSON
 * `{ name: { dtype, shape, data_offsets: [begin, end] }, __metadata__?: {...} }` (offsets relative to
 * byte 8 + N), then the raw little-endian data. We accept F32, F16 and BF16 tensors, and map
 * Hugging Face Llama names to canonical ones (weights.ts). HF q/k rows are in rotate-half order.
 */
import type { ByteSource } from './bytes';
import type { ModelConfig } from './config';
import type { StoredDType } from './dtype';
import { BadFormatError, HeaderLengthError, TruncatedFileError, UnknownDtypeError } from './errors';
import { fileWeightSource, yieldedInfo, type FileTensor } from './file-tensors';
import { checkManifest, type WeightSource } from './weights';

/** The safetensors spec caps the header at 100 MB. */
export const MAX_SAFETENSORS_HEADER = 100_000_000;

const DTYPES: Record<string, StoredDType> = { F32: 'f32', F16: 'f16', BF16: 'bf16' };
const ELEM_BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2 };

export interface SafetensorsEntry {
  name: string;
  dtype: StoredDType;
  shape: number[];
  /** Absolute file offsets. */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  entries: SafetensorsEntry[];
  metadata: Record<string, string>;
  dataStart: number;
}

/** Reads and checks the header: every tensor's dtype, shape and byte range. */
export async function readSafetensorsHeader(src: ByteSource): Promise<SafetensorsHeader> {
  const lenBytes = await src.read(0, 8, 'safetensors header length');
  const n = new DataView(lenBytes.buffer, lenBytes.byteOffset, 8).getBigUint64(0, true);
  const avail = src.size === undefined ? Infinity : src.size - 8;
  if (n > BigInt(MAX_SAFETENSORS_HEADER) || Number(n) > avail) {
    throw new HeaderLengthError(src.name, 'safetensors JSON header', n, Math.min(MAX_SAFETENSORS_HEADER, avail));
  }
  const headerLen = Number(n);
  const text = new TextDecoder('utf-8', { fatal: false }).decode(await src.read(8, headerLen, 'safetensors JSON header'));
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new BadFormatError(`safetensors header is not valid JSON: ${(e as Error).message}`, src.name);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new BadFormatError('safetensors header is not a JSON object', src.name);
  const dataStart = 8 + headerLen;
  const entries: SafetensorsEntry[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw === 'object' && raw !== null) metadata = raw as Record<string, string>;
      continue;
    }
    if (typeof raw !== 'object' || raw === null) throw new BadFormatError(`tensor '${name}': entry is not an object`, src.name);
    const r = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtypeName = String(r.dtype);
    const dtype = DTYPES[dtypeName];
    if (!dtype) throw new UnknownDtypeError(src.name, name, dtypeName);
    const { shape, data_offsets: off } = r;
    if (!Array.isArray(shape) || shape.length > 8 || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new BadFormatError(`tensor '${name}': shape ${JSON.stringify(shape)} is not a list of non-negative integers`, src.name);
    }
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isSafeInteger(d) && d >= 0) || off[1] < off[0]) {
      throw new BadFormatError(`tensor '${name}': data_offsets ${JSON.stringify(off)} is not [begin, end] with 0 <= begin <= end`, src.name);
    }
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    const bytes = count * ELEM_BYTES[dtypeName]!;
    if (off[1] - off[0] !== bytes) {
      throw new BadFormatError(`tensor '${name}': ${dtypeName} [${shape.join(', ')}] needs ${bytes} bytes but data_offsets span ${off[1] - off[0]}`, src.name);
    }
    const end = dataStart + (off[1] as number);
    if (src.size !== undefined && end > src.size) throw new TruncatedFileError(src.name, `tensor '${name}'`, end, src.size);
    entries.push({ name, dtype, shape: shape as number[], begin: dataStart + (off[0] as number), end });
  }
  return { entries, metadata, dataStart };
}

/** Maps a Hugging Face Llama tensor name to the canonical one; null for tensors we knowingly skip, undefined for unknown ones. */
export function canonicalHfName(name: string): string | null | undefined {
  if (name === 'model.embed_tokens.weight') return 'embed';
  if (name === 'model.norm.weight') return 'final_norm';
  if (name === 'lm_head.weight') return 'lm_head';
  const m = /^model\.layers\.(\d+)\.(.+)$/.exec(name);
  if (m) {
    const rest: Record<string, string> = {
      'input_layernorm.weight': 'attn_norm',
      'self_attn.q_proj.weight': 'attn.wq',
      'self_attn.k_proj.weight': 'attn.wk',
      'self_attn.v_proj.weight': 'attn.wv',
      'self_attn.o_proj.weight': 'attn.wo',
      'post_attention_layernorm.weight': 'ffn_norm',
      'mlp.gate_proj.weight': 'ffn.w_gate',
      'mlp.up_proj.weight': 'ffn.w_up',
      'mlp.down_proj.weight': 'ffn.w_down',
    };
    if (m[2] === 'self_attn.rotary_emb.inv_freq') return null; // recomputed from rope_theta
    const r = rest[m[2]!];
    if (r) return `layers.${m[1]}.${r}`;
  }
  return undefined;
}

/**
 * Opens one or more safetensors files (shards) of a Hugging Face Llama checkpoint with the given config
 * (from config.json). Throws on unknown tensor names, missing tensors and shape mismatches.
 */
export async function openSafetensors(sources: ByteSource | ByteSource[], config: ModelConfig): Promise<WeightSource> {
  const srcs = Array.isArray(sources) ? sources : [sources];
  const entries: FileTensor[] = [];
  const metadata: Record<string, unknown> = {};
  const seen = new Set<string>();
  for (let fileIndex = 0; fileIndex < srcs.length; fileIndex++) {
    const src = srcs[fileIndex]!;
    const header = await readSafetensorsHeader(src);
    Object.assign(metadata, header.metadata);
    for (const e of header.entries) {
      const canon = canonicalHfName(e.name);
      if (canon === null) continue;
      if (canon === undefined) throw new BadFormatError(`tensor '${e.name}' is not part of a Llama checkpoint this loader understands (biases and other architectures are not supported)`, src.name);
      if (canon === 'lm_head' && config.tiedEmbeddings) continue; // HF may store a copy of the tied embedding
      if (seen.has(canon)) throw new BadFormatError(`tensor '${e.name}' appears twice`, src.name);
      seen.add(canon);
      const { info, storedBytes } = yieldedInfo(canon, e.name, e.dtype, e.shape);
      entries.push({ info, offset: e.begin, storedBytes, fileIndex });
    }
  }
  checkManifest(config, entries.map((e) => e.info), srcs.map((s) => s.name).join(', '));
  return fileWeightSource('safetensors', srcs, config, entries, metadata);
}
